"""Multi-instance tasks whose collection or count cannot be read fail as the task's own error.

SpiffWorkflow creates a multi-instance task's instances when the task before it
completes (the task spec's `_update`), not when the task itself runs. What fails
there (`camunda:collection="units"` with no `units` in the case's data, a
`loopCardinality` naming a missing variable or over the bound) is raised inside
the previous task's completion: in an officer's `complete`, or a timer's firing,
outside the engine step that turns failures into incidents, so the command fails
(or, at start, an incident names no element, says only "TypeError: 'NoneType'
object is not iterable", and a retry finds no failed task to run again).

Here that failure is put off: the task becomes ready instead, and when the
engine runs it the instances are created again, now as the task's own step:
SpiffWorkflow marks it failed (ERROR), engine.runtime records an incident
naming the element and the missing variable, and a retry (with the data fixed)
runs it again.

The task specs are stored under SpiffWorkflow's own names and restored as the
classes here (`SERIALIZER_CONFIG`, used by engine.bpmn.serialization), so
versions deployed before these classes existed get them too.
"""
import logging
from collections.abc import Iterable

from SpiffWorkflow.bpmn.exceptions import WorkflowDataException, WorkflowTaskException
from SpiffWorkflow.bpmn.serializer.default.task_spec import MultiInstanceTaskConverter
from SpiffWorkflow.camunda.specs.multiinstance_task import ParallelMultiInstanceTask, SequentialMultiInstanceTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.exc import SQLAlchemyError

from engine.errors import ConflictError

log = logging.getLogger(__name__)

_PENDING = "duban_instances_pending"  # internal data: creating the instances failed; try again when run
# Not the case's fault (the database, a concurrent command): the command fails, as anywhere else.
_NOT_THE_CASES_FAULT = (SQLAlchemyError, ConflictError)


class _InstancesWhenRun:
    """Creates the instances when the task runs if creating them on its update failed."""

    def _update_hook(self, my_task):
        if my_task.internal_data.get(_PENDING):
            return True
        try:
            return super()._update_hook(my_task)
        except _NOT_THE_CASES_FAULT:
            raise
        except Exception as err:  # noqa: BLE001 - raised again, as the task's own failure, when it runs
            log.debug("multi-instance %s: instances not created on update: %r", self.bpmn_id, err)
            self._drop_instances(my_task)
            my_task.internal_data[_PENDING] = True
            return True  # READY: the engine runs it next, inside its guarded step

    def _run_hook(self, my_task):
        if not my_task.internal_data.get(_PENDING):
            return super()._run_hook(my_task)
        self._drop_instances(my_task)  # of an attempt that failed half-way
        self._check_collection(my_task)
        # The task took its data from the previous one on its first update; taking it again would undo
        # what a retry gave it (`units` fixed here, but still None in the previous task's data).
        my_task._inherit_data = _keep_own_data
        try:
            done = super()._update_hook(my_task)
        except (SpiffWorkflowException, *_NOT_THE_CASES_FAULT):
            raise
        except Exception as err:  # noqa: BLE001 - named as this task's failure (the incident names its element)
            raise WorkflowTaskException(f"the multi-instance task's instances could not be created: "
                                        f"{type(err).__name__}: {err}", task=my_task, exception=err) from err
        finally:
            del my_task._inherit_data
        del my_task.internal_data[_PENDING]
        if done:
            return super()._run_hook(my_task)  # nothing to do (an empty collection, a count of 0)
        return None  # STARTED: its instances run, then it is ready again and completes

    def check_completion_condition(self, my_task):
        # Camunda's completion conditions count with nrOfInstances, nrOfCompletedInstances and
        # nrOfActiveInstances (e.g. `${nrOfCompletedInstances >= 2}`: two of three units agree).
        merged = my_task.internal_data.get("merged", [])
        if not merged or self.condition is None:
            return None
        instances = list(self._instances(my_task))
        last_child = next(c for c in my_task.children if str(c.id) == merged[-1])
        counts = {"nrOfInstances": len(instances), "nrOfCompletedInstances": len(merged),
                  "nrOfActiveInstances": sum(1 for c in instances if not c.has_state(TaskState.FINISHED_MASK))}
        if self.data_input is not None or self.data_output is not None:
            counts["nrOfInstances"] = max(counts["nrOfInstances"], len(merged))
        return my_task.workflow.script_engine.evaluate(last_child, self.condition, external_context=counts)

    def _collection(self):
        """The collection the instances are made from (Camunda's collection is the output too)."""
        if self.data_input is not None:
            return self.data_input
        return self.data_output if self.cardinality is None else None

    def _check_collection(self, my_task) -> None:
        reference = self._collection()
        if reference is None:
            return  # a count: its expression's own error names it
        name = reference.bpmn_id
        if not reference.exists(my_task):
            raise WorkflowDataException(f"the multi-instance collection {name!r} is not in the case's data "
                                        f"(set {name} to a list before this task)", my_task, data_input=reference)
        value = reference.get(my_task)
        if value is None or isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise WorkflowDataException(f"the multi-instance collection {name!r} is {type(value).__name__}, "
                                        "not a list or a dict", my_task, data_input=reference)

    def _drop_instances(self, my_task) -> None:
        for child in list(self._instances(my_task)):
            if child.has_state(TaskState.NOT_FINISHED_MASK):
                my_task.workflow._remove_task(child.id)


def _keep_own_data() -> None:
    pass


class DubanParallelMultiInstanceTask(_InstancesWhenRun, ParallelMultiInstanceTask):
    STORED_AS = ParallelMultiInstanceTask.__name__


class DubanSequentialMultiInstanceTask(_InstancesWhenRun, SequentialMultiInstanceTask):
    STORED_AS = SequentialMultiInstanceTask.__name__


class _StoredUnderSpiffWorkflowsName(MultiInstanceTaskConverter):
    """Writes and reads a task spec under the name of the SpiffWorkflow class it extends: what the
    parser built is written by SpiffWorkflow's converter under that name, and read back as Duban's."""

    def __init__(self, target_class, registry):
        super().__init__(target_class, registry, typename=target_class.STORED_AS)


# Registered after SpiffWorkflow's Camunda converters, so the names restore as these classes.
SERIALIZER_CONFIG = {
    DubanParallelMultiInstanceTask: _StoredUnderSpiffWorkflowsName,
    DubanSequentialMultiInstanceTask: _StoredUnderSpiffWorkflowsName,
}
