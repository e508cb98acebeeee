/** Names for what a machine holds as functions: guards and actions, for people to read. */

/** Names a guard: its `setup` name, or the shape of xstate's `not`/`and`/`or`/`stateIn`. */
export function guardName(guard: unknown): string {
  return nameGuard(guard, false);
}

/** `nested`: inside not/and/or, where a combination needs parentheses. */
function nameGuard(guard: unknown, nested: boolean): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && guard !== null && 'type' in guard) return String(guard.type);
  if (typeof guard !== 'function') return 'inline';
  const combined = (guard as { guards?: unknown[] }).guards;
  if (combined !== undefined) {
    const names = combined.map((inner) => nameGuard(inner, true));
    if (guard.name === 'not') return `!${names[0]}`;
    const joined = names.join(guard.name === 'and' ? ' && ' : ' || ');
    return nested ? `(${joined})` : joined;
  }
  const stateValue = (guard as { stateValue?: unknown }).stateValue;
  if (stateValue !== undefined) return `in ${JSON.stringify(stateValue)}`;
  return functionName(guard, 'guard');
}

/** Names an action: its `setup` name, `xstate.<builtin>`, or `inline` for an anonymous one. */
export function actionName(action: unknown): string {
  if (typeof action === 'string') return action;
  if (typeof action === 'object' && action !== null && 'type' in action) return String(action.type);
  if (typeof action === 'function') {
    const type = (action as { type?: unknown }).type;
    if (typeof type === 'string') return type;
    return functionName(action, 'actions');
  }
  return 'inline';
}

/** An anonymous function takes the name of the property it is written in: that is no name. */
function functionName(fn: { name: string }, property: string): string {
  return fn.name === '' || fn.name === property ? 'inline' : fn.name;
}
