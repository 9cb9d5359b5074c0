// Renders the two copies of lib/common/protocol.ts that other readers take:
// helpers/python/ipcio/protocol.json (the Python client reads it) and the
// constants table in docs/PROTOCOL.md (between the protocol-constants markers).
// `npm run protocol:write` writes both from the build; test/unit/protocol-constants.test.ts checks them.

export const TABLE_BEGIN = '<!-- protocol-constants:begin (generated from lib/common/protocol.ts by npm run protocol:write) -->';
export const TABLE_END = '<!-- protocol-constants:end -->';

/** protocol.json as the Python client reads it. */
export function renderProtocolJson(protocol) {
  return `${JSON.stringify(protocol, null, 2)}\n`;
}

/** The Markdown table of every constant, one row each, with the dotted key the sources use. */
export function renderConstantsTable(protocol) {
  const rows = [];
  const walk = (value, path) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) walk(inner, path ? `${path}.${key}` : key);
      return;
    }
    const shown = Array.isArray(value) ? value.map((v) => `\`${v}\``).join(', ') : `\`${String(value)}\``;
    rows.push(`| \`${path}\` | ${shown} |`);
  };
  walk(protocol, '');
  return [TABLE_BEGIN, '', '| constant | value |', '| --- | --- |', ...rows, '', TABLE_END].join('\n');
}

/** `text` with the table between the markers replaced. */
export function replaceConstantsTable(text, table) {
  const begin = text.indexOf(TABLE_BEGIN);
  const end = text.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error('docs/PROTOCOL.md has no protocol-constants markers');
  return text.slice(0, begin) + table + text.slice(end + TABLE_END.length);
}
