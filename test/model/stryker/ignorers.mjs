/**
 * Stryker ignore-plugins (stryker.config.mjs `ignorers`) for code whose mutants are equivalent
 * under every walk, each with why; everything else, log messages and frame texts included, is
 * still mutated.
 *
 * - `description`: the value of a `description` property (or an object of that property alone)
 *   is a state's or machine's documentation, read by the diagrams (npm run visualize:check
 *   compares them) and by nothing that runs.
 * - `placeholder`: `setup()`'s `types` (type information only: xstate ignores it at run time)
 *   and `actors` (placeholders and defaults that src/ replaces with `.provide()`, and the walks
 *   run the provided ones), and a call to a `*NotProvided` placeholder (machines/placeholders.ts)
 *   anywhere: its arguments only name the missing piece in an error no provided actor raises.
 */

/** The name of an object property's key, when it is a plain one. */
function keyName(property) {
  const key = property.node.key;
  if (key.type === 'Identifier') return key.name;
  return key.type === 'StringLiteral' ? key.value : '';
}

/** Whether `path` is the value of a property named `name`. */
function isValueOf(path, name) {
  const parent = path.parentPath;
  return path.key === 'value' && parent?.isObjectProperty() === true && keyName(parent) === name;
}

/** Whether `path` is an object of a description alone (`{ description: '…' }`). */
function isDescriptionOnly(path) {
  if (!path.isObjectExpression() || path.node.properties.length !== 1) return false;
  const [property] = path.get('properties');
  return property.isObjectProperty() && keyName(property) === 'description';
}

const descriptionIgnorer = {
  shouldIgnore(path) {
    return isValueOf(path, 'description') || isDescriptionOnly(path)
      ? "a description is documentation (the diagrams'), read by no running code"
      : undefined;
  },
};

/** Whether `path` is a property value of the object passed to `setup(...)`. */
function isSetupOption(path, name) {
  if (!isValueOf(path, name)) return false;
  const call = path.parentPath.parentPath?.parentPath;
  return call?.isCallExpression() === true && call.node.callee.name === 'setup';
}

const placeholderIgnorer = {
  shouldIgnore(path) {
    if (isSetupOption(path, 'types')) return "setup's types are type information only";
    if (isSetupOption(path, 'actors')) {
      return "setup's actors are placeholders that src/ replaces with .provide()";
    }
    const callee = path.isCallExpression() ? path.node.callee : undefined;
    if (callee?.type === 'Identifier' && callee.name.endsWith('NotProvided')) {
      return 'a placeholder: its arguments only name what src/ must provide';
    }
    return undefined;
  },
};

// What @stryker-mutator/api's declareValuePlugin(PluginKind.Ignore, ...) returns.
export const strykerPlugins = [
  { kind: 'Ignore', name: 'description', value: descriptionIgnorer },
  { kind: 'Ignore', name: 'placeholder', value: placeholderIgnorer },
];
