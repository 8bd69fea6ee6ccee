// Duban's additions to the Camunda 7 properties panel, for what the engine reads:
//  - user tasks: a picker of the real units and roles writing camunda:candidateGroups, the due
//    date with the working-day syntax (P15WD) explained and checked, the escalation ladder
//    (camunda:properties/camunda:property name="escalation");
//  - timers and sequence flow conditions: the syntax the engine accepts;
//  - service, send and business rule tasks: the implementation offers what runs here (External,
//    with its topic and priority; a send task's "none" sends its message; a business rule task's DMN
//    evaluates a deployed decision); Java class, expression, delegate expression and connector show
//    only when the file already has them, marked as not running here (lint refuses them);
//  - business rule tasks with DMN: the decision (picked from the deployed ones by name, or its key
//    typed), binding latest / deployment / version, the version, the result variable and mapping;
//  - send tasks: the message they send (Camunda 7's panel has no such entry); receive tasks, message
//    and signal events: the message or signal, with how it is delivered;
//  - call activities: the called process (typed, or picked from the deployed processes and this
//    file's), binding latest / deployment / version, the version, in/out mappings, business key;
//  - the problems of the last check for the selected element, on top (settings.problems);
//  - a short panel by default: groups the engine ignores (listeners, async, connectors ...)
//    appear only with "show all Camunda properties".
import {
  Group, SelectEntry, TextFieldEntry, isSelectEntryEdited, isTextFieldEntryEdited, useError
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is, isAny } from 'bpmn-js/lib/util/ModelUtil';

import { t } from './messages.js';
import {
  DECISION_BINDINGS, DECISION_MAPPINGS, DEFAULT_LADDER, classifyTime, decisionOptions, decisionVersions, parseLadder,
  splitList, timeProblem, toggleInList
} from './syntax.js';

const LOW_PRIORITY = 100;  // after the BPMN (1000) and Camunda 7 (500) providers

// Groups the engine does not read: hidden unless settings.showAll.
export const IGNORED_GROUPS = [
  'CamundaPlatform__AsynchronousContinuations', 'CamundaPlatform__JobExecution',
  'CamundaPlatform__FieldInjection', 'CamundaPlatform__HistoryCleanup', 'CamundaPlatform__Tasklist',
  'CamundaPlatform__CandidateStarter', 'CamundaPlatform__ExecutionListener', 'CamundaPlatform__TaskListener',
  'CamundaPlatform__Input', 'CamundaPlatform__Output', 'CamundaPlatform__ConnectorInput',
  'CamundaPlatform__ConnectorOutput', 'CamundaPlatform__BusinessKey', 'CamundaPlatform__ProcessVariables',
  'CamundaPlatform__Errors'
];
// Groups the engine reads for some elements only (else hidden unless settings.showAll).
const MAPPING_GROUPS = [
  'CamundaPlatform__InMapping', 'CamundaPlatform__InMappingPropagation', 'CamundaPlatform__OutMapping',
  'CamundaPlatform__OutMappingPropagation'
];
const IGNORED_ENTRIES = ['followUpDate'];
const IMPLEMENTED = ['bpmn:ServiceTask', 'bpmn:SendTask', 'bpmn:BusinessRuleTask'];
const JAVA_TYPES = ['class', 'expression', 'delegateExpression'];
// Camunda 7's labels (translated by the panel's `translate`) for what does not run here.
const TYPE_LABELS = {
  class: 'Java class', expression: 'Expression', delegateExpression: 'Delegate expression', connector: 'Connector'
};
// Camunda 7's entries for a DMN business rule task (replaced by ours unless settings.showAll).
const CAMUNDA_DECISION_ENTRY = /^(decisionRef|mapDecisionResult)/;
const BINDINGS = ['latest', 'deployment', 'version'];

export default class DubanPropertiesProvider {
  constructor(propertiesPanel, dubanSettings, translate) {
    this._settings = dubanSettings;
    this._translate = translate;
    propertiesPanel.registerProvider(LOW_PRIORITY, this);
  }

  getGroups(element) {
    return (groups) => {
      const showAll = this._settings.showAll;
      if (!showAll) {
        groups = groups.filter(group => !IGNORED_GROUPS.includes(group.id) && readHere(group.id, element));
      }
      if (is(element, 'bpmn:UserTask')) {
        addUserTaskEntries(groups, element, showAll);
      }
      if (isAny(element, IMPLEMENTED)) {
        adjustImplementation(groups, element, showAll);
      }
      if (is(element, 'bpmn:SendTask')) {
        addSendTaskMessage(groups, element, this._translate);
      }
      if (is(element, 'bpmn:CallActivity')) {
        adjustCallActivity(groups, element, showAll);
      }
      addHint(groups, 'message', { id: 'duban-message-hint', component: MessageHint });
      addHint(groups, 'signal', { id: 'duban-signal-hint', component: SignalHint });
      addProblems(groups, element, this._settings);
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
DubanPropertiesProvider.$inject = ['propertiesPanel', 'dubanSettings', 'translate'];

/** Whether the engine reads this Camunda group for this element (shown by default). */
function readHere(groupId, element) {
  if (MAPPING_GROUPS.includes(groupId)) {
    return is(element, 'bpmn:CallActivity');  // signal events' in mappings are not read
  }
  if (groupId === 'CamundaPlatform__ExternalTask') {
    return isAny(element, IMPLEMENTED);  // the process-wide default priority is not read
  }
  if (groupId === 'CamundaPlatform__Implementation' && !isAny(element, IMPLEMENTED)) {
    // A message throw or end event sends its message itself: shown only to take an implementation away.
    const definition = messageEventDefinition(element);
    return !!definition && [...JAVA_TYPES, 'type'].some(name => definition.get(`camunda:${name}`) !== undefined);
  }
  return true;
}

function addHint(groups, groupId, entry) {
  const group = groups.find(g => g.id === groupId);
  if (group && group.entries && !group.entries.some(e => e.id === entry.id)) {
    group.entries.push(entry);
  }
}

function messageEventDefinition(element) {
  const businessObject = getBusinessObject(element);
  return (businessObject.get('eventDefinitions') || []).find(d => is(d, 'bpmn:MessageEventDefinition'));
}

function extensionValues(businessObject, type) {
  const extension = businessObject.get('extensionElements');
  return extension ? extension.get('values').filter(value => is(value, type)) : [];
}

function definitionsOf(businessObject) {
  let node = businessObject;
  while (node && !is(node, 'bpmn:Definitions')) {
    node = node.$parent;
  }
  return node;
}

function rootElements(businessObject, type) {
  const definitions = definitionsOf(businessObject);
  return ((definitions && definitions.get('rootElements')) || []).filter(element => is(element, type));
}

// -- pieces of several entries -----------------------------------------------------

function updateBusinessObject(commandStack, element, properties) {
  commandStack.execute('element.updateModdleProperties', {
    element, moddleElement: getBusinessObject(element), properties
  });
}

/**
 * A text field for one attribute of the element's business object, changed as one undoable command;
 * `stored` makes what was typed the attribute's value (undefined removes the attribute).
 */
function AttributeField({ element, id, attribute, stored, ...field }) {
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const businessObject = getBusinessObject(element);
  return TextFieldEntry({
    element,
    id,
    ...field,
    getValue: () => businessObject.get(attribute),
    setValue: value => updateBusinessObject(commandStack, element, { [attribute]: stored(value) }),
    debounce
  });
}

/** What was typed, trimmed; nothing: the attribute removed. */
function trimmedOrNone(value) {
  return (value || '').trim() || undefined;
}

/** A new binding (latest / deployment / version), and the version fields of the old one removed. */
function bindingChange(prefix, binding) {
  return {
    [`${prefix}Binding`]: binding === 'latest' ? undefined : binding,
    [`${prefix}Version`]: undefined,
    [`${prefix}VersionTag`]: undefined
  };
}

/** Under a version number: the versions deployed of `key` (oldest first), or that it is not deployed. */
function deployedVersionsText(key, versions) {
  return versions.length
    ? t('Deployed versions of {process}: {versions}.', { process: key, versions: versions.join(', ') })
    : t('{process} is not deployed yet.', { process: key || '?' });
}

function validateVersionNumber(value) {
  return /^\d+$/.test((value || '').trim()) ? null : t('A version number, e.g. 2.');
}

// -- implementation (service, send and business rule tasks) ------------------------

/** As Camunda 7's panel reads it: dmn, connector, external, class, expression, delegateExpression or ''. */
export function implementationOf(businessObject) {
  if (is(businessObject, 'bpmn:BusinessRuleTask') && businessObject.get('camunda:decisionRef') !== undefined) {
    return 'dmn';
  }
  if (extensionValues(businessObject, 'camunda:Connector').length) {
    return 'connector';
  }
  if (businessObject.get('camunda:type') === 'external') {
    return 'external';
  }
  return JAVA_TYPES.find(name => businessObject.get(`camunda:${name}`) !== undefined) || '';
}

function adjustImplementation(groups, element, showAll) {
  const group = groups.find(g => g.id === 'CamundaPlatform__Implementation');
  if (!group || !group.entries) {
    return;
  }
  if (!showAll) {
    const replace = (id, entry) => {
      const index = group.entries.findIndex(e => e.id === id);
      if (index >= 0) {
        group.entries.splice(index, 1, entry);
      }
    };
    replace('implementationType', { id: 'implementationType', component: ImplementationType, isEdited: isSelectEntryEdited });
    replace('externalTopic', { id: 'externalTopic', component: Topic, isEdited: isTextFieldEntryEdited });
    const businessObject = getBusinessObject(element);
    if (implementationOf(businessObject) === 'dmn') {
      group.entries = group.entries.filter(entry => !CAMUNDA_DECISION_ENTRY.test(entry.id));
      const after = group.entries.findIndex(entry => entry.id === 'implementationType') + 1;
      group.entries.splice(after, 0, ...decisionEntries(businessObject));
    }
  }
  group.entries.push({ id: 'duban-implementation-hint', component: ImplementationHint });
}

function ImplementationType(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const translate = useService('translate');
  const businessObject = getBusinessObject(element);
  const current = implementationOf(businessObject);
  const sendTask = is(element, 'bpmn:SendTask');
  const ruleTask = is(element, 'bpmn:BusinessRuleTask');

  const getOptions = () => {
    const options = [];
    if (sendTask) {
      options.push({ value: '', label: t('None: send the message chosen below') });
    } else if (current === '') {
      options.push({ value: '', label: translate('<none>') });
    }
    if (ruleTask) {
      options.push({ value: 'dmn', label: translate('DMN') });
    }
    options.push({ value: 'external', label: translate('External') });
    if (TYPE_LABELS[current]) {
      options.push({ value: current, label: t('{type} (cannot run here)', { type: translate(TYPE_LABELS[current]) }) });
    }
    return options;
  };
  const setValue = value => {
    const commands = [];
    const connectors = extensionValues(businessObject, 'camunda:Connector');
    if (connectors.length) {
      const extension = businessObject.get('extensionElements');
      commands.push({ cmd: 'element.updateModdleProperties', context: {
        element, moddleElement: extension,
        properties: { values: extension.get('values').filter(v => !connectors.includes(v)) }
      } });
    }
    const properties = {
      'camunda:class': undefined, 'camunda:expression': undefined, 'camunda:delegateExpression': undefined,
      'camunda:resultVariable': undefined, 'camunda:type': undefined, 'camunda:topic': undefined
    };
    if (is(businessObject, 'bpmn:BusinessRuleTask')) {
      Object.assign(properties, {
        'camunda:decisionRef': undefined, 'camunda:decisionRefBinding': undefined,
        'camunda:decisionRefVersion': undefined, 'camunda:mapDecisionResult': undefined,
        'camunda:decisionRefTenantId': undefined
      });
    }
    if (value === 'external') {
      properties['camunda:type'] = 'external';
      properties['camunda:topic'] = businessObject.get('camunda:topic') || '';
    } else if (value === 'dmn' && ruleTask) {
      properties['camunda:decisionRef'] = businessObject.get('camunda:decisionRef') || '';  // chosen below
    } else if (value) {
      return;  // the kinds that cannot run here are not chosen, only shown
    }
    commands.push({ cmd: 'element.updateModdleProperties', context: { element, moddleElement: businessObject, properties } });
    commandStack.execute('properties-panel.multi-command-executor', commands);
  };
  return SelectEntry({
    element,
    id,
    label: translate('Type'),
    getValue: () => current,
    setValue,
    getOptions
  });
}

function Topic(props) {
  const { element, id } = props;
  const translate = useService('translate');
  return AttributeField({
    element,
    id,
    attribute: 'camunda:topic',
    stored: value => value || '',
    label: translate('Topic'),
    description: t('Workers fetch the tasks of a topic, e.g. lead-push, through /engine-rest/external-task/fetchAndLock.'),
    validate: value => ((value || '').trim() ? null : t('Give a topic: workers fetch tasks by topic.')),
    placeholder: 'lead-push'
  });
}

function ImplementationHint({ element, id }) {
  const translate = useService('translate');
  const checked = useError('implementationType');  // the last check said it under the type already
  const current = implementationOf(getBusinessObject(element));
  let text;
  if (is(element, 'bpmn:SendTask')) {
    text = t('None: the task sends the message chosen below to the instance waiting for it. External: a worker does the sending.');
  } else if (is(element, 'bpmn:BusinessRuleTask')) {
    text = t('DMN: the task evaluates a deployed decision table on the instance variables and puts the result into the result variable. External: a worker fetches the task by its topic and completes it.');
  } else {
    text = t('Only External runs here: the task waits until a worker fetches it by its topic and completes it.');
  }
  let refused = null;
  if (TYPE_LABELS[current]) {
    refused = t('{type} cannot run here: choose External and give a topic.', { type: translate(TYPE_LABELS[current]) });
  } else if (current === '' && is(element, 'bpmn:ServiceTask')) {
    refused = t('A service task needs an implementation here: choose External and give a topic.');
  } else if (current === '' && is(element, 'bpmn:BusinessRuleTask')) {
    refused = t('A business rule task needs an implementation here: choose DMN and a decision, or External and a topic.');
  }
  return (
    <div class="bio-properties-panel-entry duban-hint-entry" data-entry-id={id}>
      {refused && !checked && <div class="bio-properties-panel-error duban-refused">{refused}</div>}
      <div class="bio-properties-panel-description duban-hint">{text}</div>
    </div>
  );
}

// -- the decision a business rule task evaluates (engine/dmn/task.py) -----------------

function decisionEntries(businessObject) {
  const entries = [
    { id: 'duban-decision', component: DecisionPicker, isEdited: isSelectEntryEdited },
    { id: 'decisionRef', component: DecisionKey, isEdited: isTextFieldEntryEdited },
    { id: 'decisionRefBinding', component: DecisionBinding, isEdited: isSelectEntryEdited }
  ];
  if (businessObject.get('camunda:decisionRefBinding') === 'version') {
    entries.push({ id: 'decisionRefVersion', component: DecisionVersion, isEdited: isTextFieldEntryEdited });
  }
  entries.push({ id: 'decisionRefResultVariable', component: DecisionResultVariable, isEdited: isTextFieldEntryEdited });
  // As in Camunda's panel, the mapping only matters with a result variable (shown anyway when set).
  if (businessObject.get('camunda:resultVariable') || businessObject.get('camunda:mapDecisionResult') !== undefined) {
    entries.push({ id: 'mapDecisionResult', component: DecisionMapping, isEdited: isSelectEntryEdited });
  }
  return entries;
}

/** An option for each value that runs here, and the file's own value marked when it does not. */
function choicesWithCurrent(choices, current, translate) {
  const known = choices.some(choice => choice.value === current);
  return known ? choices : [...choices, { value: current, label: t('{type} (cannot run here)', { type: translate(current) }) }];
}

function DecisionPicker(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const settings = useService('dubanSettings');
  const current = getBusinessObject(element).get('camunda:decisionRef') || '';
  const decisions = settings.decisions || [];
  const chosen = decisions.find(decision => decision.key === current);
  let description;
  if (chosen) {
    description = (
      <span class="duban-hint">
        <small class="duban-decision-key">{chosen.key}</small>
        {' '}{t('Deployed versions: {versions}.', { versions: decisionVersions(decisions, chosen.key).join(', ') })}
      </span>
    );
  } else if (settings.decisionsLoaded && !decisions.length) {
    description = t('No decision is deployed yet: type the key of the one to deploy below.');
  }
  return SelectEntry({
    element,
    id,
    label: t('Decision'),
    description,
    getValue: () => (chosen ? current : ''),
    setValue: value => {
      if (value) {
        updateBusinessObject(commandStack, element, { 'camunda:decisionRef': value });
      }
    },
    getOptions: () => [{ value: '', label: t('— choose —') }, ...decisionOptions(decisions)]
  });
}

function DecisionKey(props) {
  const { element, id } = props;
  return AttributeField({
    element,
    id,
    attribute: 'camunda:decisionRef',
    stored: value => (value || '').trim(),
    label: t('Decision key'),
    description: t('The key (id) of the decision, not its name; or pick a deployed one above. One not deployed yet: an instance that gets here stops with an incident until it is.'),
    validate: value => ((value || '').trim() ? null : t('Give the key of the decision.')),
    placeholder: 'risk_grading'
  });
}

function DecisionBinding(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const translate = useService('translate');
  const current = getBusinessObject(element).get('camunda:decisionRefBinding') || 'latest';
  const labels = { latest: t('Latest version'), deployment: t('Same deployment'), version: t('A fixed version') };
  return SelectEntry({
    element,
    id,
    label: translate('Binding'),
    description: t('Latest version: the newest one when the task runs. Same deployment: the one deployed together with this process through the API (the modeler deploys the diagram alone). A fixed version: give its number.'),
    getValue: () => current,
    setValue: value => updateBusinessObject(commandStack, element, bindingChange('camunda:decisionRef', value)),
    getOptions: () => choicesWithCurrent(DECISION_BINDINGS.map(value => ({ value, label: labels[value] })), current, translate)
  });
}

function DecisionVersion(props) {
  const { element, id } = props;
  const translate = useService('translate');
  const settings = useService('dubanSettings');
  const key = getBusinessObject(element).get('camunda:decisionRef') || '';
  return AttributeField({
    element,
    id,
    attribute: 'camunda:decisionRefVersion',
    stored: trimmedOrNone,
    label: translate('Version'),
    description: deployedVersionsText(key, decisionVersions(settings.decisions, key)),
    validate: validateVersionNumber,
    placeholder: '1'
  });
}

function DecisionResultVariable(props) {
  const { element, id } = props;
  const translate = useService('translate');
  return AttributeField({
    element,
    id,
    attribute: 'camunda:resultVariable',
    stored: trimmedOrNone,
    label: translate('Result variable'),
    description: t('The instance variable that receives the result, e.g. grade; without one the result is dropped.'),
    placeholder: 'grade'
  });
}

function DecisionMapping(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const translate = useService('translate');
  const current = getBusinessObject(element).get('camunda:mapDecisionResult') || 'resultList';
  const labels = {
    resultList: t('Result list'), singleResult: t('Single result'), singleEntry: t('Single value'),
    collectEntries: t('List of values')
  };
  return SelectEntry({
    element,
    id,
    label: t('Result mapping'),
    description: t('Result list: every matched rule with all its outputs. Single result: the one matched rule with all its outputs. Single value: the one output of the one matched rule. List of values: the one output of every matched rule. A single result or value with several matches is an incident.'),
    getValue: () => current,
    setValue: value => updateBusinessObject(commandStack, element, {
      'camunda:mapDecisionResult': value === 'resultList' ? undefined : value
    }),
    getOptions: () => choicesWithCurrent(DECISION_MAPPINGS.map(value => ({ value, label: labels[value] })), current, translate)
  });
}

// -- the message a send task sends ---------------------------------------------------

function addSendTaskMessage(groups, element, translate) {
  if (implementationOf(getBusinessObject(element)) !== '' || groups.some(g => g.id === 'message')) {
    return;
  }
  const entries = [{ id: 'messageRef', component: SendMessageRef, isEdited: isSelectEntryEdited }];
  if (getBusinessObject(element).get('messageRef')) {
    entries.push({ id: 'messageName', component: MessageName, isEdited: isTextFieldEntryEdited });
  }
  entries.push({ id: 'duban-message-hint', component: MessageHint });
  const index = groups.findIndex(g => g.id === 'CamundaPlatform__Implementation');
  groups.splice(index >= 0 ? index + 1 : Math.min(1, groups.length), 0,
    { id: 'message', label: translate('Message'), component: Group, entries });
}

function SendMessageRef(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const bpmnFactory = useService('bpmnFactory');
  const translate = useService('translate');
  const businessObject = getBusinessObject(element);
  const message = businessObject.get('messageRef');
  const getOptions = () => [
    { value: '', label: translate('<none>') },
    { value: 'create-new', label: translate('Create new ...') },
    ...rootElements(businessObject, 'bpmn:Message')
      .sort((a, b) => (a.name || '').localeCompare(b.name || ''))
      .map(m => ({ value: m.id, label: m.name || m.id }))
  ];
  const setValue = value => {
    const commands = [];
    let chosen = rootElements(businessObject, 'bpmn:Message').find(m => m.id === value);
    if (value === 'create-new') {
      const definitions = definitionsOf(businessObject);
      chosen = bpmnFactory.create('bpmn:Message');
      chosen.name = businessObject.name || chosen.id;
      chosen.$parent = definitions;
      commands.push({ cmd: 'element.updateModdleProperties', context: {
        element, moddleElement: definitions, properties: { rootElements: [...definitions.get('rootElements'), chosen] }
      } });
    }
    commands.push({ cmd: 'element.updateModdleProperties', context: {
      element, moddleElement: businessObject, properties: { messageRef: chosen }
    } });
    commandStack.execute('properties-panel.multi-command-executor', commands);
  };
  return SelectEntry({
    element,
    id,
    label: translate('Global message reference'),
    getValue: () => (message ? message.id : ''),
    setValue,
    getOptions
  });
}

function MessageName(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const translate = useService('translate');
  const debounce = useService('debounceInput');
  const message = getBusinessObject(element).get('messageRef');
  return TextFieldEntry({
    element,
    id,
    label: translate('Name'),
    getValue: () => message.get('name'),
    setValue: value => commandStack.execute('element.updateModdleProperties', {
      element, moddleElement: message, properties: { name: value }
    }),
    debounce
  });
}

function MessageHint({ element, id }) {
  const sends = is(element, 'bpmn:SendTask') || isAny(element, ['bpmn:IntermediateThrowEvent', 'bpmn:EndEvent']);
  const text = sends
    ? t('The message goes to the instance waiting for a message of this name (one with the same business key first), or starts the process whose start event waits for it.')
    : t('Messages are matched by name: another process sends it (a send task or a message throw event), or another system through POST /engine-rest/message with this name.');
  return <Hint id={id} text={text} />;
}

function SignalHint({ id }) {
  return <Hint id={id} text={t('A signal reaches every instance waiting for a signal of this name and starts every process whose start event waits for it; another system sends one through POST /engine-rest/signal.')} />;
}

// -- call activities ---------------------------------------------------------------

function adjustCallActivity(groups, element, showAll) {
  const group = groups.find(g => g.id === 'CamundaPlatform__CallActivity');
  if (!group || !group.entries) {
    return;
  }
  if (!showAll) {
    const businessObject = getBusinessObject(element);
    const cmmn = businessObject.get('calledElement') === undefined && businessObject.get('camunda:caseRef') !== undefined;
    const javaMapping = businessObject.get('camunda:variableMappingClass') !== undefined
      || businessObject.get('camunda:variableMappingDelegateExpression') !== undefined;
    const kept = group.entries.filter(entry => entry.id === 'calledElementBusinessKey'
      || entry.id.startsWith('calledElementCase') || (cmmn && entry.id === 'calledElementType')
      || (javaMapping && entry.id.startsWith('calledElementDelegateVariableMapping'))
      || (javaMapping && entry.id.startsWith('calledElementVariableMapping')));
    const ours = [
      { id: 'calledElement', component: CalledElement, isEdited: isTextFieldEntryEdited },
      { id: 'duban-called-process', component: CalledProcessPicker, isEdited: isSelectEntryEdited },
      { id: 'calledElementBinding', component: CalledElementBinding, isEdited: isSelectEntryEdited }
    ];
    if (businessObject.get('camunda:calledElementBinding') === 'version') {
      ours.push({ id: 'calledElementVersion', component: CalledElementVersion, isEdited: isTextFieldEntryEdited });
    }
    group.entries = cmmn ? kept : [...ours, ...kept];
  }
  group.entries.push({ id: 'duban-call-hint', component: CallHint });
}

function updateCall(modeling, element, properties) {
  modeling.updateProperties(element, properties);
}

function CalledElement(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const businessObject = getBusinessObject(element);
  return TextFieldEntry({
    element,
    id,
    label: t('Process to call (its id)'),
    description: t('The id of the process, not its name; or pick a deployed one below.'),
    getValue: () => businessObject.get('calledElement'),
    setValue: value => updateCall(modeling, element, { calledElement: (value || '').trim() || '' }),
    validate: value => ((value || '').trim() ? null : t('Give the id of the process to call.')),
    debounce
  });
}

/** The processes a call activity may name: deployed ones (settings.processes) and this file's others. */
export function callableProcesses(settings, businessObject) {
  const options = new Map();
  for (const process of settings.processes || []) {
    options.set(process.process_id, { id: process.process_id, name: process.name, versions: process.versions, deployed: true });
  }
  const own = [];
  let node = businessObject;
  while (node && !is(node, 'bpmn:Process')) {
    node = node.$parent;
  }
  for (const process of rootElements(businessObject, 'bpmn:Process')) {
    if (process.isExecutable && process !== node && !options.has(process.id)) {
      own.push({ id: process.id, name: process.name, versions: [], deployed: false });
    }
  }
  return [...options.values(), ...own];
}

function CalledProcessPicker(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const settings = useService('dubanSettings');
  const businessObject = getBusinessObject(element);
  const processes = callableProcesses(settings, businessObject);
  const current = businessObject.get('calledElement') || '';
  const getOptions = () => [
    { value: '', label: t('— choose —') },
    ...processes.map(process => ({
      value: process.id,
      label: process.deployed
        ? (process.name && process.name !== process.id ? `${process.name}（${process.id}）` : process.id)
        : t('{name} ({process}, in this file)', { name: process.name || process.id, process: process.id })
    }))
  ];
  return SelectEntry({
    element,
    id,
    label: t('Deployed processes'),
    getValue: () => (processes.some(process => process.id === current) ? current : ''),
    setValue: value => {
      if (value) {
        updateCall(modeling, element, { calledElement: value });
      }
    },
    getOptions
  });
}

function CalledElementBinding(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const translate = useService('translate');
  const businessObject = getBusinessObject(element);
  const current = businessObject.get('camunda:calledElementBinding') || 'latest';
  const getOptions = () => {
    const options = [
      { value: 'latest', label: t('latest: the newest version deployed when the call starts') },
      { value: 'deployment', label: t('deployment: the version deployed from this same file') },
      { value: 'version', label: t('version: a fixed version') }
    ];
    if (!BINDINGS.includes(current)) {
      options.push({ value: current, label: t('{type} (cannot run here)', { type: translate(current === 'versionTag' ? 'version tag' : current) }) });
    }
    return options;
  };
  return SelectEntry({
    element,
    id,
    label: translate('Binding'),
    getValue: () => current,
    setValue: value => updateCall(modeling, element, bindingChange('camunda:calledElement', value)),
    getOptions
  });
}

function CalledElementVersion(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const translate = useService('translate');
  const debounce = useService('debounceInput');
  const settings = useService('dubanSettings');
  const businessObject = getBusinessObject(element);
  const callee = businessObject.get('calledElement') || '';
  const deployed = (settings.processes || []).find(process => process.process_id === callee);
  return TextFieldEntry({
    element,
    id,
    label: translate('Version'),
    description: deployedVersionsText(callee, deployed ? [...deployed.versions].sort((a, b) => a - b) : []),
    getValue: () => businessObject.get('camunda:calledElementVersion'),
    setValue: value => updateCall(modeling, element, { 'camunda:calledElementVersion': trimmedOrNone(value) }),
    validate: validateVersionNumber,
    debounce,
    placeholder: '1'
  });
}

function CallHint({ id }) {
  return <Hint id={id} text={t('The called process runs as an instance of its own; the call activity waits until it completes. In mappings pass variables to it (or all of them), out mappings bring them back. A process that is not deployed: an incident until it is.')} />;
}

// -- the problems of the last check ----------------------------------------------------

function addProblems(groups, element, settings) {
  const problems = (settings.problems && settings.problems.get(element.id)) || [];
  if (!problems.length) {
    return;
  }
  groups.unshift({
    id: 'duban-problems',
    label: t('Problems found by the last check'),
    component: Group,
    entries: [{ id: 'duban-problem-list', component: ProblemList }]
  });
}

function ProblemList({ element, id }) {
  const settings = useService('dubanSettings');
  const problems = (settings.problems && settings.problems.get(element.id)) || [];
  return (
    <div class="bio-properties-panel-entry duban-problem-list" data-entry-id={id}>
      <ul class="duban-problems">
        {problems.map((problem, index) => (
          <li key={index} class={`duban-problem duban-problem-${problem.severity || 'error'}`} data-severity={problem.severity || 'error'}>
            {problem.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

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
  const known = new Set([...settings.units, ...(settings.groups || []), ...settings.roles].map(option => option.code));
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
    body = [section('units', t('Units'), settings.units)];
    if ((settings.groups || []).length) {
      body.push(section('groups', t('Working groups'), settings.groups));
    }
    body.push(section('roles', t('Roles'), settings.roles));
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
  const value = getBusinessObject(element).get('camunda:dueDate');
  const meaning = describeTime(value);
  const description = (
    <span class="duban-hint">
      {t('Working days: P15WD = 15 working days, P2WDT4H = 2 working days and 4 hours; P3D = 3 calendar days, PT4H = 4 hours; a date 2026-12-01T09:00:00+08:00; or ${feedback_deadline}.')}
      {meaning && <strong class="duban-meaning"> {t('Read as: {meaning}', { meaning })}</strong>}
    </span>
  );
  return AttributeField({
    element,
    id,
    attribute: 'camunda:dueDate',
    stored: newValue => newValue || undefined,
    label: t('Due date'),
    description,
    validate: validateTime,
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
