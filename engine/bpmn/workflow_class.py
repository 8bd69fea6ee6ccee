"""The workflow class instances run as: SpiffWorkflow's BpmnWorkflow with cheaper task lookups.

SpiffWorkflow finds tasks by walking the whole task tree from its root, and a
step does so several times (the ready tasks to run, the waiting tasks to
update after each completion, whether the workflow is complete). Finished
tasks stay in the tree, so a case's every step costs more than the one
before. The same answers come from scanning the flat `tasks` mapping, which
is far cheaper per task.

Only the order of results can differ (a scan follows creation order, the walk
goes depth first), so the scan answers only when at most one task matches or
order cannot matter; otherwise the stock walk runs, and behaviour is exactly
SpiffWorkflow's.
"""
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

_SCANNABLE_FILTERS = frozenset({"state", "manual"})
# Engine steps (gateways, scripts, events...) one command may run in one instance: a loop of
# them with nothing to wait for would otherwise run forever inside one transaction.
MAX_STEPS = 10000


class StepBudgetExceeded(WorkflowTaskException):
    pass


class DubanWorkflow(BpmnWorkflow):

    def do_engine_steps(self, will_complete_task=None, did_complete_task=None):
        steps = 0

        def count(task):
            nonlocal steps
            steps += 1
            if steps > MAX_STEPS:
                raise StepBudgetExceeded(
                    f"more than {MAX_STEPS} steps without waiting for anything: the process loops "
                    f"(the last step was {task.task_spec.bpmn_name or task.task_spec.bpmn_id!r})", task=task)
            if will_complete_task is not None:
                will_complete_task(task)

        super().do_engine_steps(count, did_complete_task)

    def _scan(self, state: int, manual=None) -> list:
        return [task for task in self.tasks.values()
                if task._state & state and (manual is None or task.task_spec.manual == manual)]

    def get_tasks(self, first_task=None, **kwargs):
        # Only what the walk would find too: a scan of this workflow's own tasks (the walk also
        # enters subprocesses) for tasks not yet finished (the walk skips finished tasks below
        # unfinished ones; the reverse cannot happen).
        state = kwargs.get("state", TaskState.ANY_MASK)
        if (first_task is None and not self.subprocesses and kwargs.keys() <= _SCANNABLE_FILTERS
                and not state & TaskState.FINISHED_MASK):
            found = self._scan(state, kwargs.get("manual"))
            if len(found) <= 1:
                return found
        return super().get_tasks(first_task, **kwargs)

    def update_waiting_tasks(self) -> None:
        # Called after every task completion. Updating a waiting task never makes another one wait,
        # so the tasks found first are all there are.
        waiting = self._scan(TaskState.WAITING)
        if len(waiting) > 1:
            super().update_waiting_tasks()
        elif waiting:
            waiting[0].task_spec._update(waiting[0])

    def is_completed(self) -> bool:
        if not self.completed:
            self.completed = not any(task._state & TaskState.NOT_FINISHED_MASK for task in self.tasks.values())
        return self.completed
