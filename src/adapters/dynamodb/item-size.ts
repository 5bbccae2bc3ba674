// How big DynamoDB will count an item, so the store can refuse an oversized pod before writing anything instead of
// learning it from a ValidationException half-way through a reconcile.
// Rules: DynamoDB Developer Guide, "Item sizes and formats" (CapacityUnitCalculations.html): an item's size is the
// sum of its attribute names and values; strings and names count their UTF-8 bytes; a number counts about one
// byte per two significant digits plus one; null and boolean one byte; a list or map 3 bytes plus, per element,
// one byte (and, in a map, the key's name) plus the element.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** DynamoDB's item size limit, attribute names included ("Service, account, and table quotas": 400 KB). */
export const MAX_ITEM_BYTES = 400 * 1024;

/** A DynamoDB number never takes more than 21 bytes (38 significant digits). */
export const MAX_NUMBER_BYTES = 21;

const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Estimated size of one attribute value, by the documented rules (an upper bound for numbers). */
export function estimateValueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8Bytes(value.S);
  if (value.N !== undefined)
    return Math.min(MAX_NUMBER_BYTES, Math.ceil(value.N.replace(/[^0-9]/g, '').length / 2) + 1);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + utf8Bytes(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + estimateValueSize({ N: n }), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + 1 + estimateValueSize(v), 0);
  if (value.M !== undefined)
    return (
      3 + Object.entries(value.M).reduce((sum, [k, v]) => sum + 1 + utf8Bytes(k) + estimateValueSize(v), 0)
    );
  return 0;
}

/** Estimated size of a whole item: every attribute's name plus its value. */
export function estimateItemSize(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => sum + utf8Bytes(name) + estimateValueSize(value),
    0,
  );
}
