// The page's own strings: English keys, translated by the server (Flask-Babel, catalog
// web/translations/modeler) into the JSON block <script type="application/json" id="modeler-messages">.
import { fill } from './syntax.js';

let catalog = {};

export function loadMessages(root = document) {
  const block = root.getElementById && root.getElementById('modeler-messages');
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
