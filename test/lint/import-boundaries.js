// @ts-check
/**
 * Who may import whom (DESIGN §3). Each layer is a folder; a file may import node built-ins,
 * Electron, npm packages and other layers only as its layer's entry below allows. Tests are exempt:
 * they are not shipped and may reach across layers to set up a scenario.
 */
import { builtinModules } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SHARED = ['shared/common', 'shared/node'];
const UI_PACKAGES = ['react', 'react-dom', 'scheduler'];

/** @typedef {{ name: string, dir: string, node: boolean, electron: boolean, packages: string[] | { except: string[] }, layers: string[] }} Layer */
/** @type {Layer[]} */
export const LAYERS = [
  { name: 'shared/common', dir: 'shared/src/common', node: false, electron: false, packages: ['zod', 'tweetnacl', '@noble/hashes', '@scure/base'], layers: ['shared/common'] },
  { name: 'shared/node', dir: 'shared/src/node', node: true, electron: false, packages: ['zod', 'tweetnacl', 'tar-stream'], layers: SHARED },
  { name: 'agent', dir: 'agent/src', node: true, electron: false, packages: { except: UI_PACKAGES }, layers: [...SHARED, 'agent'] },
  { name: 'console/registry', dir: 'apps/console/src/registry', node: true, electron: false, packages: { except: UI_PACKAGES }, layers: [...SHARED, 'console/api', 'console/registry'] },
  { name: 'console/backend', dir: 'apps/console/src/backend', node: true, electron: false, packages: { except: UI_PACKAGES }, layers: [...SHARED, 'console/api', 'console/registry', 'console/backend'] },
  { name: 'console/api', dir: 'apps/console/src/api', node: false, electron: false, packages: ['zod'], layers: ['shared/common', 'console/api'] },
  { name: 'console/main', dir: 'apps/console/src/main', node: true, electron: true, packages: { except: UI_PACKAGES }, layers: [...SHARED, 'console/registry', 'console/api', 'console/backend', 'console/web', 'console/main'] },
  { name: 'console/preload', dir: 'apps/console/src/preload', node: false, electron: true, packages: [], layers: ['console/api', 'console/preload'] },
  { name: 'console/renderer', dir: 'apps/console/src/renderer', node: false, electron: false, packages: { except: [] }, layers: ['shared/common', 'console/api', 'console/renderer'] },
  { name: 'console/web', dir: 'apps/console/src/web', node: true, electron: false, packages: { except: UI_PACKAGES }, layers: [...SHARED, 'console/registry', 'console/api', 'console/backend', 'console/web'] },
  { name: 'console/cli', dir: 'apps/console/src/cli', node: true, electron: false, packages: { except: UI_PACKAGES }, layers: [...SHARED, 'console/registry', 'console/api', 'console/backend', 'console/web', 'console/cli'] },
];

const PACKAGE_LAYERS = { '@airlock/shared/common': 'shared/common', '@airlock/shared/node': 'shared/node' };

/** @param {string} absPath */
function layerOf(absPath) {
  const rel = relative(REPO, absPath).split(sep).join('/');
  return LAYERS.find((l) => rel === l.dir || rel.startsWith(`${l.dir}/`));
}

/** @param {string} spec */
const packageName = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0] ?? spec);

/**
 * @param {Layer} layer
 * @param {string} spec
 * @param {string} file
 * @returns {string | null} why the import is refused, or null
 */
export function refusal(layer, spec, file) {
  if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0] ?? spec)) {
    return layer.node ? null : `${layer.name} runs outside Node and may not import "${spec}"`;
  }
  if (spec === 'electron' || spec.startsWith('electron/')) {
    return layer.electron ? null : `${layer.name} may not import Electron`;
  }
  let target;
  if (spec.startsWith('.')) {
    const abs = resolve(dirname(file), spec);
    target = layerOf(abs)?.name;
    if (!target) return `${layer.name} may not import "${spec}": it lies outside every layer`;
  } else if (spec.startsWith('@airlock/')) {
    target = PACKAGE_LAYERS[/** @type {keyof typeof PACKAGE_LAYERS} */ (spec)];
    if (!target) return `"${spec}" is not an entry point another package may import (use @airlock/shared/common or /node)`;
  }
  if (target) return layer.layers.includes(target) ? null : `${layer.name} may not import ${target}`;
  const name = packageName(spec);
  const allowed = Array.isArray(layer.packages) ? layer.packages.includes(name) : !layer.packages.except.includes(name);
  return allowed ? null : `${layer.name} may not depend on the package "${name}"`;
}

/** @type {import('eslint').Rule.RuleModule} */
export const importBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'enforce who may import whom across runtime layers (DESIGN §3)' },
    schema: [],
    messages: { refused: '{{why}}' },
  },
  create(context) {
    const file = context.filename;
    const layer = layerOf(file);
    if (!layer || /\.test\.tsx?$/.test(file)) return {};
    /** @param {any} node */
    const check = (node) => {
      const source = node?.source ?? node?.arguments?.[0];
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const why = refusal(layer, source.value, file);
      if (why) context.report({ node: source, messageId: 'refused', data: { why } });
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
