/**
 * A Stryker ignore-plugin (stryker.config.mjs `ignorers: ['description']`): mutants inside the
 * value of a `description` property are not made. A state's or machine's `description` is its
 * documentation, read by the diagrams (npm run visualize:check compares them) and by nothing
 * that runs: a mutant of it is equivalent under any walk, so it would only lower the score.
 * Everything else, log messages and frame texts included, is still mutated.
 */
const descriptionIgnorer = {
  shouldIgnore(path) {
    const parent = path.parentPath;
    if (path.key !== 'value' || parent === null || !parent.isObjectProperty()) return undefined;
    const key = parent.node.key;
    const name =
      key.type === 'Identifier' ? key.name : key.type === 'StringLiteral' ? key.value : '';
    return name === 'description'
      ? "a description is documentation (the diagrams'), read by no running code"
      : undefined;
  },
};

// What @stryker-mutator/api's declareValuePlugin(PluginKind.Ignore, ...) returns.
export const strykerPlugins = [{ kind: 'Ignore', name: 'description', value: descriptionIgnorer }];
