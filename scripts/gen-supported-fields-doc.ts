// Writes docs/supported-fields.md from the support-policy table (core/manifest/support-policy.ts).
//   npm run gen:docs
// test/manifest/support-policy.test.ts fails when the committed document differs from what this would write.
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSupportedFieldsDoc } from '../src/core/manifest/support-policy.ts';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
export const SUPPORTED_FIELDS_DOC = join(ROOT, 'docs', 'supported-fields.md');

await writeFile(SUPPORTED_FIELDS_DOC, renderSupportedFieldsDoc());
console.log(`wrote ${SUPPORTED_FIELDS_DOC}`);
