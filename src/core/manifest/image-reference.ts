// The tag of a container image reference, as pkg/util/parsers ParseImageName reads it (via
// github.com/distribution/reference): `nginx` → `latest`, `nginx:1.27` → `1.27`, `registry:5000/app` → `latest`,
// `app@sha256:…` → no tag. It decides the default imagePullPolicy (pkg/apis/core/v1/defaults.go SetDefaults_Container).

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);

export interface ImageReference {
  name: string;
  /** The tag; `latest` when neither a tag nor a digest is given. Empty when only a digest is given. */
  tag: string;
  digest?: string;
}

/** Parses an image reference; undefined when it is not a valid reference (ParseImageName returns an error). */
export function parseImageReference(image: string): ImageReference | undefined {
  const m = REFERENCE.exec(image);
  if (!m) return undefined;
  const [, name, tag, digest] = m;
  if (name!.length > 255) return undefined; // reference.NameTotalLengthMax
  if (tag !== undefined) return { name: name!, tag, ...(digest ? { digest } : {}) };
  if (digest !== undefined) return { name: name!, tag: '', digest };
  return { name: name!, tag: 'latest' };
}

/**
 * SetDefaults_Container: `Always` when the tag is `latest` (written or implied), otherwise `IfNotPresent` — also for
 * references that do not parse ("ignore error and assume it has been validated elsewhere").
 */
export function defaultImagePullPolicy(image: string | undefined): 'Always' | 'IfNotPresent' {
  return parseImageReference(image ?? '')?.tag === 'latest' ? 'Always' : 'IfNotPresent';
}
