/**
 * Imported first by the SDK entry (src/index.ts): ends the process with one line on a Node.js
 * too old for the dependencies, before any of them runs. ECMAScript modules run their imports
 * in order, and this one imports only src/node-version.ts, which imports nothing. (The SDK
 * entry keeps static exports rather than a dynamic import, so that `require('casola-worker')`
 * keeps working on Node ≥ 22.12, which cannot require a module with top-level await.)
 */
import { exitUnlessSupportedNode } from './node-version.ts';

exitUnlessSupportedNode();
