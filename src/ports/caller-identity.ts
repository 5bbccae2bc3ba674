// Who signed a token (api/token-authorizer.ts): STS GetCallerIdentity, asked with the token's presigned URL
// (adapters/sts/sts-caller-identity.ts). The contract: resolve with STS's answer for a URL STS accepts; reject, with
// STS's reason, for one it refuses (a bad signature, an expired date, unknown credentials) or when STS cannot be
// reached — the caller is then not authenticated.

export interface CallerIdentity {
  /** `arn:aws:iam::123456789012:user/alice`, `arn:aws:sts::123456789012:assumed-role/Dev/alice`. */
  arn: string;
  account: string;
  userId: string;
}

/** GETs the presigned URL, with the cluster id header it signed, from STS. */
export type GetCallerIdentity = (url: string, clusterId: string) => Promise<CallerIdentity>;
