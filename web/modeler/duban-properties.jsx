// Duban's additions to the Camunda 7 properties panel, for what the engine reads:
//  - user tasks: a picker of the real units and roles writing camunda:candidateGroups, the due
//    date with the working-day syntax (P15WD) explained and checked, the escalation ladder
//    (camunda:properties/camunda:property name="escalation");
//  - timers and sequence flow conditions: the syntax the engine accepts;
//  - a short panel by default: groups the engine ignores (listeners, async, connectors ...)
//    appear only with "show all Camunda properties".
import { TextFieldEntry, isTextFieldEntryEdited } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

import { t } from './messages.js';
import { DEFAULT_LADDER, classifyTime, parseLadder, splitList, timeProblem, toggleInList } from './syntax.js';

const LOW_PRIORITY = 100;  // after the BPMN (1000) and Camunda 7 (500) providers

// Groups the engine does not read: hidden unless settings.showAll.
export const IGNORED_GROUPS = [
  'CamundaPlatform__AsynchronousContinuations', 'CamundaPlatform__JobExecution', 'CamundaPlatform__ExternalTask',
  'CamundaPlatform__FieldInjection', 'CamundaPlatform__HistoryCleanup', 'CamundaPlatform__Tasklist',
  'CamundaPlatform__CandidateStarter', 'CamundaPlatform__ExecutionListener', 'CamundaPlatform__TaskListener',
  'CamundaPlatform__Input', 'CamundaPlatform__Output', 'CamundaPlatform__ConnectorInput',
  'CamundaPlatform__ConnectorOutput', 'CamundaPlatform__InMapping', 'CamundaPlatform__InMappingPropagation',
  'CamundaPlatform__OutMapping', 'CamundaPlatform__OutMappingPropagation', 'CamundaPlatform__BusinessKey',
  'CamundaPlatform__ProcessVariables', 'CamundaPlatform__Implementation', 'CamundaPlatform__Errors'
];
const IGNORED_ENTRIES = ['followUpDate'];

export default class DubanPropertiesProvider {
  constructor(propertiesPanel, dubanSettings) {
    this._settings = dubanSettings;
    propertiesPanel.registerProvider(LOW_PRIORITY, this);
  }

  getGroups(element) {
    return (groups) => {
      const showAll = this._settings.showAll;
      if (!showAll) {
        groups = groups.filter(group => !IGNORED_GROUPS.includes(group.id));
      }
      if (is(element, 'bpmn:UserTask')) {
        addUserTaskEntries(groups, element, showAll);
      }
      const timer = groups.find(group => group.id === 'timer');
      if (timer && timer.entries) {
        timer.entries.push({ id: 'duban-timer-hint', component: TimerHint });
      }
      const condition = groups.find(group => group.id === 'CamundaPlatform__Condition');
      if (condition && condition.entries && is(element, 'bpmn:SequenceFlow')) {
        condition.entries.push({ id: 'duban-condition-hint', component: ConditionHint });
      }
      return groups;
    };
  }
}
DubanPropertiesProvider.$inject = ['propertiesPanel', 'dubanSettings'];

function addUserTaskEntries(groups, element, showAll) {
  let group = groups.find(g => g.id === 'CamundaPlatform__UserAssignment');
  if (!group || !group.entries) {
    // The Camunda provider changed shape: bring our own group.
    group = { id: 'duban-user-task', label: t('Assignment and deadline'), component: groups[0] && groups[0].component, entries: [] };
    groups.splice(Math.min(1, groups.length), 0, group);
  }
  const entries = group.entries.filter(entry => showAll || !IGNORED_ENTRIES.includes(entry.id));
  const place = (afterId, entry) => {
    const index = entries.findIndex(e => e.id === afterId);
    entries.splice(index >= 0 ? index + 1 : entries.length, 0, entry);
  };
  place('candidateGroups', { id: 'duban-candidate-groups', component: CandidateGroupPicker });
  const due = { id: 'dueDate', component: DueDate, isEdited: isTextFieldEntryEdited };
  const dueIndex = entries.findIndex(e => e.id === 'dueDate');
  if (dueIndex >= 0) {
    entries.splice(dueIndex, 1, due);
  } else {
    entries.push(due);
  }
  place('dueDate', { id: 'duban-escalation', component: EscalationLadder, isEdited: isTextFieldEntryEdited });
  group.entries = entries;
}

// -- candidate groups ----------------------------------------------------------

function CandidateGroupPicker(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const settings = useService('dubanSettings');
  const businessObject = getBusinessObject(element);
  const current = businessObject.get('camunda:candidateGroups');
  const chosen = splitList(current);
  const known = new Set([...settings.units, ...settings.roles].map(option => option.code));
  const others = chosen.filter(code => !known.has(code));

  const toggle = (code, on) => {
    commandStack.execute('element.updateModdleProperties', {
      element,
      moddleElement: businessObject,
      properties: { 'camunda:candidateGroups': toggleInList(businessObject.get('camunda:candidateGroups'), code, on) }
    });
  };
  const section = (kind, label, options) => (
    <fieldset class="duban-group-section" data-kind={kind}>
      <legend class="duban-group-legend">{label}</legend>
      {options.map(option => (
        <label class="duban-group-option" key={option.code} title={option.code}>
          <input
            type="checkbox"
            name="duban-candidate-group"
            value={option.code}
            data-group-code={option.code}
            checked={chosen.includes(option.code)}
            onChange={event => toggle(option.code, event.target.checked)} />
          <span>{option.name || option.code}</span>
        </label>
      ))}
    </fieldset>
  );

  let body;
  if (settings.groupsError) {
    body = <div class="bio-properties-panel-error">{t('Units and roles could not be loaded; type the codes into "Candidate groups".')}</div>;
  } else if (!settings.groupsLoaded) {
    body = <div class="bio-properties-panel-description">{t('Loading units and roles…')}</div>;
  } else {
    body = [section('units', t('Units'), settings.units), section('roles', t('Roles'), settings.roles)];
  }
  return (
    <div class="bio-properties-panel-entry duban-group-picker" data-entry-id={id} id="duban-group-picker">
      <div class="bio-properties-panel-label">{t('Choose candidate groups')}</div>
      {body}
      {others.length > 0 && (
        <div class="bio-properties-panel-description duban-group-others">
          {t('Also: {codes} (expressions or other codes, kept as they are)', { codes: others.join(', ') })}
        </div>
      )}
    </div>
  );
}

// -- due date ------------------------------------------------------------------

export function describeTime(text) {
  const kind = classifyTime(text);
  switch (kind.kind) {
  case 'workdays':
    return t('{n} working days (weekends and public holidays skipped)', { n: kind.workdays });
  case 'duration':
    return t('calendar duration');
  case 'datetime':
    return t('a fixed date and time');
  case 'cycle':
    return t('a repeating cycle');
  case 'expression':
    return t('an expression over the instance variables');
  case 'python':
    return t('a Python expression over the instance variables');
  default:
    return '';
  }
}

function validateTime(value) {
  const problem = timeProblem(value);
  return problem ? t(problem) : null;
}

function DueDate(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const businessObject = getBusinessObject(element);
  const value = businessObject.get('camunda:dueDate');
  const meaning = describeTime(value);
  const description = (
    <span class="duban-hint">
      {t('Working days: P15WD = 15 working days, P2WDT4H = 2 working days and 4 hours; P3D = 3 calendar days, PT4H = 4 hours; a date 2026-12-01T09:00:00+08:00; or ${feedback_deadline}.')}
      {meaning && <strong class="duban-meaning"> {t('Read as: {meaning}', { meaning })}</strong>}
    </span>
  );
  return TextFieldEntry({
    element,
    id,
    label: t('Due date'),
    description,
    getValue: () => businessObject.get('camunda:dueDate'),
    setValue: newValue => commandStack.execute('element.updateModdleProperties', {
      element,
      moddleElement: businessObject,
      properties: { 'camunda:dueDate': newValue || undefined }
    }),
    validate: validateTime,
    debounce,
    placeholder: 'P15WD'
  });
}

// -- escalation ladder -----------------------------------------------------------

export function getEscalation(businessObject) {
  const property = findEscalationProperty(businessObject);
  return property ? property.get('value') : undefined;
}

function findEscalationProperty(businessObject) {
  const extension = businessObject.get('extensionElements');
  const properties = extension && extension.get('values').find(value => is(value, 'camunda:Properties'));
  return properties && properties.get('values').find(property => property.get('name') === 'escalation');
}

/** Commands that set (or, for an empty value, remove) the escalation property. */
export function escalationCommands(element, businessObject, bpmnFactory, value) {
  const commands = [];
  const update = (moddleElement, properties) => commands.push({
    cmd: 'element.updateModdleProperties', context: { element, moddleElement, properties }
  });
  let extension = businessObject.get('extensionElements');
  if (!extension) {
    if (!value) {
      return commands;
    }
    extension = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    extension.$parent = businessObject;
    update(businessObject, { extensionElements: extension });
  }
  let properties = extension.get('values').find(item => is(item, 'camunda:Properties'));
  if (!properties) {
    if (!value) {
      return commands;
    }
    properties = bpmnFactory.create('camunda:Properties', { values: [] });
    properties.$parent = extension;
    update(extension, { values: [...extension.get('values'), properties] });
  }
  const property = properties.get('values').find(item => item.get('name') === 'escalation');
  if (!value) {
    if (property) {
      update(properties, { values: properties.get('values').filter(item => item !== property) });
    }
  } else if (property) {
    update(property, { value });
  } else {
    const created = bpmnFactory.create('camunda:Property', { name: 'escalation', value });
    created.$parent = properties;
    update(properties, { values: [...properties.get('values'), created] });
  }
  return commands;
}

function validateLadder(value) {
  const { problem } = parseLadder(value);
  return problem ? t(problem.key, problem) : null;
}

function EscalationLadder(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const bpmnFactory = useService('bpmnFactory');
  const debounce = useService('debounceInput');
  const businessObject = getBusinessObject(element);
  return TextFieldEntry({
    element,
    id,
    label: t('Escalation ladder'),
    description: t('Rungs separated by ";": reminder@80% (at 80% of the time), overdue@due, leader@due+P3WD, accountability@due+P5WD, unclaimed@created+PT4H. Empty: the default {ladder}.', { ladder: DEFAULT_LADDER }),
    getValue: () => getEscalation(businessObject),
    setValue: newValue => {
      const commands = escalationCommands(element, businessObject, bpmnFactory, (newValue || '').trim());
      if (commands.length) {
        commandStack.execute('properties-panel.multi-command-executor', commands);
      }
    },
    validate: validateLadder,
    debounce,
    placeholder: DEFAULT_LADDER
  });
}

// -- hints ---------------------------------------------------------------------

function Hint({ id, text }) {
  return (
    <div class="bio-properties-panel-entry duban-hint-entry" data-entry-id={id}>
      <div class="bio-properties-panel-description duban-hint">{text}</div>
    </div>
  );
}

function TimerHint({ id }) {
  return <Hint id={id} text={t('The engine reads: P15WD (15 working days), P2WDT4H, P3D, PT2H, 2026-12-01T09:00:00+08:00, R3/P1D, or ${variable}.')} />;
}

function ConditionHint({ id }) {
  return <Hint id={id} text={t('Condition type "Expression": a Python expression such as grade == \'red\', or ${grade == \'red\'} (&&, ||, !, empty). Every exclusive gateway needs a default flow.')} />;
}

export const DubanPropertiesModule = {
  __init__: ['dubanPropertiesProvider'],
  dubanPropertiesProvider: ['type', DubanPropertiesProvider]
};
