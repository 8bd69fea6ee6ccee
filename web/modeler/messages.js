// The page's own strings: English keys, translated by the server (Flask-Babel, catalogs
// web/translations/modeler and decisions) into a JSON block <script type="application/json">:
// id="modeler-messages" on the modeler's page, id="decision-messages" on the decision table editor's.
import { fill } from './syntax.js';

let catalog = {};

export function loadMessages(root = document, blockId = 'modeler-messages') {
  const block = root.getElementById && root.getElementById(blockId);
  if (block) {
    try {
      catalog = JSON.parse(block.textContent) || {};
    } catch (err) {
      catalog = {};
    }
  }
  return catalog;
}

export function setMessages(messages) {
  catalog = messages || {};
}

/** The translation of `key` (or `key` itself) with {placeholders} filled from `values`. */
export function t(key, values) {
  const text = Object.prototype.hasOwnProperty.call(catalog, key) ? catalog[key] : key;
  return values ? fill(text, values) : text;
}
