// The toolbar's list of deployed versions (<select id="open-version">): a group for each process or
// decision, its versions newest first; an option's value is "id|version", what Open reads.
import { t } from '../messages.js';

function versionValue(id, version) {
  return `${id}|${version}`;
}

/**
 * Lists `version` of `id`, in a group labelled `label` (made when it is missing, with `id` in its
 * `dataName` data attribute); true when it made the group.
 */
export function addVersionOption(select, id, version, { label, dataName }) {
  const value = versionValue(id, version);
  if ([...select.options].some(option => option.value === value)) {
    return false;
  }
  let group = [...select.querySelectorAll('optgroup')].find(g => g.dataset[dataName] === id);
  const made = !group;
  if (made) {
    group = document.createElement('optgroup');
    group.label = label;
    group.dataset[dataName] = id;
    select.append(group);
  }
  const option = document.createElement('option');
  option.value = value;
  option.textContent = t('version {version}', { version });
  const newer = [...group.children].find(o => Number(o.value.split('|')[1]) < Number(version));
  group.insertBefore(option, newer || null);
  return made;
}

/** Shows `id`'s `version` as the one chosen (no id: the empty choice), when the list has it. */
export function chooseVersion(select, id, version) {
  const value = id ? versionValue(id, version) : '';
  if ([...select.options].some(option => option.value === value)) {
    select.value = value;
  }
}

/** [id, version] of the chosen option ([''] when none is). */
export function chosenVersion(select) {
  return (select.value || '').split('|');
}
