#!/usr/bin/env node
/**
 * `casola-worker`'s entry: checks the Node.js version before any dependency loads (see
 * node-version.ts), then runs the command line (src/cli/program.ts).
 */
import { exitUnlessSupportedNode } from './node-version.ts';

exitUnlessSupportedNode();
const { buildProgram } = await import('./cli/program.ts');
await buildProgram().parseAsync(process.argv);
