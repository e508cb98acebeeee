import { describe, expect, it } from 'vitest';
import { exactNumber, parseExactJson } from '../../../src/http/exact-json.ts';

describe('parseExactJson', () => {
  it('keeps integers past 2^53 digit for digit, and parses the rest as JSON.parse does', () => {
    const text =
      '{"seed":9223372036854775807,"small":42,"float":12345678901234567.5,"neg":-18446744073709551615,"list":[1e300,"12345678901234567890"]}';
    const parsed = parseExactJson(text) as Record<string, unknown>;
    expect(JSON.stringify(parsed)).toBe(
      '{"seed":9223372036854775807,"small":42,"float":12345678901234568,"neg":-18446744073709551615,"list":[1e+300,"12345678901234567890"]}',
    );
    expect(exactNumber.safeParse(parsed.seed).success).toBe(true);
    expect(exactNumber.safeParse(parsed.small).success).toBe(true);
    expect(exactNumber.safeParse({ rawJSON: '1' }).success).toBe(false);
  });

  it('keeps long integers at the start of an array and after a minus', () => {
    expect(JSON.stringify(parseExactJson('[-9007199254740993, 1]'))).toBe('[-9007199254740993,1]');
  });

  it('is JSON.parse for text without long digit runs', () => {
    const text = '{"a":[1,2.5,"x",null,true],"b":{"c":9007199254740991}}';
    expect(parseExactJson(text)).toEqual(JSON.parse(text));
  });
});
