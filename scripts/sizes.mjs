// Files in src/ over 400 lines and functions over 80 (issue 12's size rule), largest first.
// Usage: node scripts/sizes.mjs   (exit 0 always: a report, not a gate)
import ts from 'typescript';
import fs from 'node:fs';
import path from 'node:path';

const walk = (d) =>
  fs
    .readdirSync(d, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.ts') ? [path.join(d, e.name)] : []));
const files = walk('src');
const big = [];
const long = [];
for (const f of files) {
  const text = fs.readFileSync(f, 'utf8');
  const lines = text.split('\n').length;
  if (lines > 400) big.push([lines, f]);
  const sf = ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true);
  const visit = (n) => {
    if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n)) {
      const a = sf.getLineAndCharacterOfPosition(n.getStart()).line;
      const b = sf.getLineAndCharacterOfPosition(n.getEnd()).line;
      if (b - a + 1 > 80) long.push([b - a + 1, `${f}:${a + 1}`, n.name?.getText() ?? '(anonymous)']);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
}
const by = (x, y) => y[0] - x[0];
console.log(`files over 400 lines: ${big.length}`);
for (const r of big.sort(by)) console.log(`  ${r[0]}\t${r[1]}`);
console.log(`functions over 80 lines: ${long.length}`);
for (const r of long.sort(by)) console.log(`  ${r[0]}\t${r[1]}\t${r[2]}`);
