/**
 * A fake `vllm serve` that prints each argument after `--served-model-name N` as one line
 * (to stderr when it starts with `stderr:`) and exits 0: the engine's line reading and level
 * rule, tested with exactly the lines a test chooses.
 */
const args = process.argv.slice(2);
const first = args.indexOf('--served-model-name') + 2;
for (const line of args.slice(first)) {
  if (line.startsWith('stderr:')) process.stderr.write(`${line.slice('stderr:'.length)}\n`);
  else process.stdout.write(`${line}\n`);
}
