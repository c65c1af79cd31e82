// @ts-check
/**
 * Every package a file imports is declared by the workspace that holds the file (npm workspaces hoist
 * packages to the root node_modules, so an undeclared import works here and breaks where the
 * workspace is installed or bundled on its own). Node built-ins and Electron are not packages;
 * `@airlock/*` workspaces must be declared like any other dependency. Test files may also use the
 * root package's devDependencies (vitest and friends), since tests run from the root.
 */
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** @param {string} spec */
const packageName = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0] ?? spec);

/** @type {Map<string, Set<string>>} */
const declaredCache = new Map();

/** @param {string} dir a folder holding package.json */
function declared(dir) {
  let names = declaredCache.get(dir);
  if (!names) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    names = new Set([pkg.name, ...Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies })]);
    declaredCache.set(dir, names);
  }
  return names;
}

/**
 * The nearest folder with a package.json at or above `file`, within the repository.
 * @param {string} file
 */
function workspaceOf(file) {
  for (let dir = dirname(file); dir.startsWith(REPO); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dir === REPO) break;
  }
  return REPO;
}

/**
 * @param {string} spec
 * @param {string} file absolute path
 * @returns {string | null} why the import is refused, or null
 */
export function undeclared(spec, file) {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) return null;
  const name = packageName(spec);
  if (builtinModules.includes(name) || name === 'electron') return null;
  const workspace = workspaceOf(file);
  if (declared(workspace).has(name)) return null;
  if (/\.test\.tsx?$/.test(file) && declared(REPO).has(name)) return null;
  const where = relative(REPO, join(workspace, 'package.json')).split(sep).join('/');
  return `"${name}" is imported here but not declared in ${where}: add it to that workspace's dependencies`;
}

/** @type {import('eslint').Rule.RuleModule} */
export const declaredDependencies = {
  meta: {
    type: 'problem',
    docs: { description: 'every imported package is declared by the importing workspace' },
    schema: [],
    messages: { undeclared: '{{why}}' },
  },
  create(context) {
    const file = context.filename;
    /** @param {any} node */
    const check = (node) => {
      const source = node?.source ?? node?.arguments?.[0];
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const why = undeclared(source.value, file);
      if (why) context.report({ node: source, messageId: 'undeclared', data: { why } });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
      'CallExpression[callee.name="require"]': check,
    };
  },
};
