export * from './encode.ts';
export * from './frames.ts';
export * from './parse.ts';
