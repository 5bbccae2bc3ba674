// The item-size estimate follows the DynamoDB Developer Guide, "Item sizes and formats".
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { estimateItemSize, estimateValueSize } from '../../../src/adapters/dynamodb/item-size.ts';

describe('estimateValueSize', () => {
  const cases: { name: string; value: AttributeValue; bytes: number }[] = [
    { name: 'a string counts its UTF-8 bytes', value: { S: 'aé☃𝄞' }, bytes: 1 + 2 + 3 + 4 },
    { name: 'a number counts one byte per two digits, plus one', value: { N: '12345' }, bytes: 4 },
    { name: 'a negative decimal counts its digits only', value: { N: '-1.5' }, bytes: 2 },
    { name: 'null and booleans count one byte', value: { NULL: true }, bytes: 1 },
    { name: 'an empty map counts 3 bytes', value: { M: {} }, bytes: 3 },
    {
      name: 'a map counts 3 bytes, plus per entry 1 byte, its name and its value',
      value: { M: { ab: { S: 'xyz' } } },
      bytes: 3 + 1 + 2 + 3,
    },
    {
      name: 'a list counts 3 bytes, plus per element 1 byte and its value',
      value: { L: [{ S: 'a' }, { BOOL: true }] },
      bytes: 3 + 2 + 2,
    },
  ];
  it.each(cases)('$name', ({ value, bytes }) => {
    expect(estimateValueSize(value)).toBe(bytes);
  });

  it('an item counts every attribute name and value', () => {
    expect(estimateItemSize({ PK: { S: 'ns#default' }, rv: { N: '7' } })).toBe(2 + 10 + 2 + 2);
  });
});
