// The hard-coded text check (owner: a11y): finds user-visible text in .tsx files that does not
// come from the catalogues. Run by hardcoded.test.ts over every ui/src/**/*.tsx (see
// /work/notes/app-shared-api.md). It is deliberately pragmatic: it reports
//  - JSX text containing a letter (`<button>Save</button>`),
//  - string literals with a letter given to the attributes below (`placeholder="Name"`,
//    `aria-label={`Edit ${name}`}`),
//  - string literals with a letter that flow straight into JSX children
//    (`{busy ? "Saving…" : "Save"}`, `{error && "Failed"}`).
// Text without letters (✕, ›, ·, —, numbers) is fine; so are the ALLOWED words.
import ts from "typescript";

/** Attributes whose value is read or shown to people. */
export const TEXT_ATTRIBUTES = new Set([
  "aria-label",
  "aria-description",
  "aria-placeholder",
  "aria-roledescription",
  "aria-valuetext",
  "alt",
  "label",
  "placeholder",
  "title",
]);

/** Texts that are the same in every language (brand and technical names only). */
export const ALLOWED = new Set(["Lab Desk", "JSON", "CSV", "YOLO", "Kili", "PNG", "JPEG", "ZIP"]);

const LETTER = /\p{L}/u;

export interface Finding {
  file: string;
  line: number;
  text: string;
}

function isText(s: string): boolean {
  const v = s.replace(/\s+/g, " ").trim();
  return LETTER.test(v) && !ALLOWED.has(v);
}

/** The string literals an expression shows as they are (not those passed to functions). */
function shownStrings(e: ts.Expression): { node: ts.Node; text: string }[] {
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return [{ node: e, text: e.text }];
  if (ts.isTemplateExpression(e)) {
    const parts = [e.head.text, ...e.templateSpans.map((s) => s.literal.text)].join(" ");
    return [{ node: e, text: parts }];
  }
  if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e)) return shownStrings(e.expression);
  if (ts.isConditionalExpression(e)) return [...shownStrings(e.whenTrue), ...shownStrings(e.whenFalse)];
  if (ts.isBinaryExpression(e)) {
    const op = e.operatorToken.kind;
    if (op === ts.SyntaxKind.AmpersandAmpersandToken) return shownStrings(e.right);
    if (
      op === ts.SyntaxKind.BarBarToken ||
      op === ts.SyntaxKind.QuestionQuestionToken ||
      op === ts.SyntaxKind.PlusToken
    )
      return [...shownStrings(e.left), ...shownStrings(e.right)];
  }
  return [];
}

/** Every hard-coded user-visible text in one .tsx source. */
export function findHardcodedText(source: string, file = "file.tsx"): Finding[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const out: Finding[] = [];
  const report = (node: ts.Node, text: string) => {
    if (!isText(text)) return;
    const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
    out.push({ file, line, text: text.replace(/\s+/g, " ").trim() });
  };
  const visit = (node: ts.Node) => {
    if (ts.isJsxText(node)) {
      report(node, node.text);
    } else if (ts.isJsxAttribute(node)) {
      const name = node.name.getText(sf);
      const init = node.initializer;
      if (TEXT_ATTRIBUTES.has(name) && init) {
        if (ts.isStringLiteral(init)) report(init, init.text);
        else if (ts.isJsxExpression(init) && init.expression)
          for (const s of shownStrings(init.expression)) report(s.node, s.text);
      }
    } else if (
      ts.isJsxExpression(node) &&
      node.expression &&
      (ts.isJsxElement(node.parent) || ts.isJsxFragment(node.parent))
    ) {
      for (const s of shownStrings(node.expression)) report(s.node, s.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}
