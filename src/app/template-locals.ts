/** Words that cannot be variable names, or that a template means as themselves. */
const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'import in instanceof new null return super switch this throw true try typeof var void while with yield let static ' +
    'implements interface package private protected public await async of get set undefined NaN Infinity arguments eval ' +
    'locals include __output __append escapeFn rethrow'
  ).split(' '),
);

/**
 * The names EJS templates may read from their locals: every identifier in their code (`<% %>`
 * tags) that is not a property (`.name`), inside a string, a reserved word, or a global (`JSON`,
 * `Object`: declaring those would hide them). Declaring a few names too many is harmless (they are
 * `undefined`); missing one would make the template throw, so this reads the templates rather than
 * relying on a list kept by hand.
 */
export function templateLocals(templates: readonly string[]): string[] {
  const names = new Set<string>();
  for (const template of templates) {
    for (const [, code] of template.matchAll(/<%[-=_#]?([\s\S]*?)[-_]?%>/g)) {
      const withoutStrings = code!.replace(/(["'`])(?:\\.|(?!\1)[^\\])*\1/g, '""');
      for (const [name] of withoutStrings.matchAll(/(?<![.\w$])[A-Za-z_$][\w$]*/g)) {
        if (!RESERVED.has(name) && !(name in globalThis)) names.add(name);
      }
    }
  }
  return [...names].sort();
}
