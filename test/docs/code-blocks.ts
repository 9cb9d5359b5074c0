/** One fenced block of a Markdown file. */
export interface CodeBlock {
  language: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

/** The fenced code blocks of `markdown`, in order, with the text between the fences. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  let open: { language: string; line: number; body: string[] } | undefined;
  lines.forEach((text, index) => {
    const fence = /^```(\S*)\s*$/.exec(text);
    if (!open && fence) {
      open = { language: fence[1] ?? '', line: index + 1, body: [] };
    } else if (open && text === '```') {
      blocks.push({ language: open.language, code: open.body.length ? `${open.body.join('\n')}\n` : '', line: open.line });
      open = undefined;
    } else if (open) {
      open.body.push(text);
    }
  });
  if (open) throw new Error(`unclosed code block at line ${open.line}`);
  return blocks;
}
