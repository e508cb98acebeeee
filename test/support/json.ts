/** Parsed JSON in assertions: tests index into it freely and let expect() check the values. */
// biome-ignore lint/suspicious/noExplicitAny: the assertions are the type check here
export type Json = any;
