// Bundles the modeler into web/static/build/ (served at /vendor/modeler/...):
//   modeler.js   index.js with bpmn-js, the properties panel and the Duban entries
//   modeler.css  the libraries' styles and ours, fonts copied beside it
//   decisions.js, decisions.css  the decision table editor: decisions/index.js with dmn-js
// Run by `npm run build` (./dev does it after `npm ci` and whenever these sources change).
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, '..', 'static', 'build');
mkdirSync(outdir, { recursive: true });
writeFileSync(join(outdir, '.gitignore'), '# built by `npm run build` (./dev runs it); never committed\n*\n!.gitignore\n');

await build({
  entryPoints: {
    modeler: join(here, 'index.js'),  // index.js imports modeler.css -> modeler.css
    decisions: join(here, 'decisions', 'index.js')  // imports decisions.css -> decisions.css
  },
  outdir,
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: '@bpmn-io/properties-panel/preact',
  loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file', '.svg': 'file' },
  assetNames: 'fonts/[name]-[hash]',
  legalComments: 'linked',
  logLevel: 'warning'
});
console.log(`modeler and decision table editor built into ${outdir}`);
