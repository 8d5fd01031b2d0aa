/**
 * The house rules of docs/CONVENTIONS.md, checked on every import of the project's sources: imports only
 * point down the layer table, and browser-safe modules never reach Node-only code.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { builtinModules } from "node:module";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import ts from "typescript";
import { PACKAGE_ROOT } from "../../common/package-root-node.ts";

/** Packages that only work in Node (native add-ons, servers, terminals, Node streams). */
const NODE_ONLY_PACKAGES = [
  "better-sqlite3", "serialport", "express", "socket.io", "onnxruntime-node", "pngjs", "cli-progress",
  "tsx", "esbuild", "playwright", "typescript", "protobufjs/cli",
];
const NODE_FOLDERS = ["storage", "server", "cli", "bin", "scripts", "bench", "tests"];
const SKIP = new Set(["node_modules", "dist", "fixtures"]); // and hidden folders (.git, .cache, scratch work)

interface Import {
  from: string;
  spec: string;
  typeOnly: boolean;
  line: number;
}

/** The layer table of docs/CONVENTIONS.md: folder -> rank. */
export function layerRanks(markdown: string): Map<string, number> {
  const section = markdown.slice(markdown.indexOf("## Layers"));
  const ranks = new Map<string, number>();
  for (const m of section.matchAll(/^\| (\d+) \| ([a-z, -]+) \|/gm)) {
    for (const folder of m[2]!.split(",")) ranks.set(folder.trim(), Number(m[1]));
  }
  return ranks;
}

function sourceFiles(dir = PACKAGE_ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name) || e.name.startsWith(".")) return [];
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|js)$/.test(e.name) && !e.name.endsWith(".d.ts") ? [relative(PACKAGE_ROOT, path)] : [];
  });
}

/** Static imports and re-exports, and dynamic import("...") with a literal, of one file. */
function importsOf(file: string): Import[] {
  const text = readFileSync(join(PACKAGE_ROOT, file), "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const out: Import[] = [];
  const line = (n: ts.Node) => source.getLineAndCharacterOfPosition(n.getStart()).line + 1;
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly = ts.isImportDeclaration(node) ? !!node.importClause?.isTypeOnly || isAllTypeNamed(node) : node.isTypeOnly;
      out.push({ from: file, spec: node.moduleSpecifier.text, typeOnly, line: line(node) });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      out.push({ from: file, spec: node.arguments[0].text, typeOnly: false, line: line(node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** import { type A, type B } from "x" is erased as a whole, like import type. */
function isAllTypeNamed(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  const named = clause?.namedBindings;
  return !!clause && !clause.name && !!named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
}

const folderOf = (file: string) => (file.includes("/") ? file.slice(0, file.indexOf("/")) : ".");
const isNodeAdapter = (file: string) => /(\/|-)(node|file)\.ts$/.test(file);
const isBrowserSafe = (file: string) => !NODE_FOLDERS.includes(folderOf(file)) && !isNodeAdapter(file) && folderOf(file) !== ".";
const isNodeOnlyPackage = (spec: string) => {
  const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
  return spec.startsWith("node:") || builtinModules.includes(name) || NODE_ONLY_PACKAGES.includes(name) || NODE_ONLY_PACKAGES.includes(spec);
};
const resolveLocal = (i: Import) => normalize(join(dirname(i.from), i.spec));
const where = (i: Import) => `${i.from}:${i.line} imports "${i.spec}"`;

const files = sourceFiles();
const imports = files.flatMap(importsOf);
const ranks = layerRanks(readFileSync(join(PACKAGE_ROOT, "docs/CONVENTIONS.md"), "utf8"));

test("the layer table names every top-level source folder", () => {
  const folders = [...new Set(files.map(folderOf))].filter((f) => f !== ".");
  assert.ok(ranks.size >= 10, `docs/CONVENTIONS.md lists ${ranks.size} folders`);
  assert.deepEqual(folders.filter((f) => !ranks.has(f)), [], "folders missing from the layer table in docs/CONVENTIONS.md");
});

test("imports point down the layer table, never up or across", () => {
  const wrong = imports
    .filter((i) => i.spec.startsWith("."))
    .filter((i) => {
      const a = folderOf(i.from);
      const b = folderOf(resolveLocal(i));
      return a !== b && !(ranks.get(b)! < ranks.get(a)!);
    })
    .map((i) => `${where(i)} (${folderOf(i.from)} is rank ${ranks.get(folderOf(i.from))}, ${folderOf(resolveLocal(i))} rank ${ranks.get(folderOf(resolveLocal(i)))})`);
  assert.deepEqual(wrong, []);
});

test("browser-safe modules import nothing Node-only", () => {
  const wrong = imports
    .filter((i) => isBrowserSafe(i.from) && !i.typeOnly)
    .filter((i) => (i.spec.startsWith(".") ? !isBrowserSafe(resolveLocal(i)) : isNodeOnlyPackage(i.spec)))
    .map(where);
  assert.deepEqual(wrong, []);
});

test("the checks themselves catch what they should (a planted upward and a planted Node import)", () => {
  const planted: Import[] = [
    { from: "study/x.ts", spec: "../server/app.ts", typeOnly: false, line: 1 },
    { from: "cnn/x.ts", spec: "node:fs", typeOnly: false, line: 1 },
    { from: "cnn/x.ts", spec: "./model-file-node.ts", typeOnly: false, line: 1 },
  ];
  assert.ok(ranks.get(folderOf(resolveLocal(planted[0]!)))! > ranks.get("study")!);
  assert.ok(isNodeOnlyPackage(planted[1]!.spec));
  assert.ok(!isBrowserSafe(resolveLocal(planted[2]!)));
  assert.ok(isNodeOnlyPackage("fs") && isNodeOnlyPackage("better-sqlite3") && !isNodeOnlyPackage("jspsych") && !isNodeOnlyPackage("onnxruntime-web"));
  assert.equal(layerRanks("## Layers\n| 2 | a, b | x |\n| 0 | c | y |\n").get("b"), 2);
});
