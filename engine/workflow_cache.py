"""Workflows kept in memory between the commands of one process.

Restoring a workflow from its JSON costs more than running a step. A command
that committed a workflow leaves it here under the instance's lock_version;
the next command on the instance takes it instead of reading the task rows,
if the row still has that version. Any other write to the instance (another
process, an administrator's change) moves the version on and the entry is
simply not used.

A command *takes* the entry out, so no two threads ever share a workflow, and
one that fails (or only reads) never puts it back: what is cached is always
exactly what was committed.
"""
import threading
from collections import OrderedDict


class WorkflowCache:
    def __init__(self, size: int = 256):
        self.size = size
        self._entries = OrderedDict()  # instance id -> (lock_version, workflow)
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def take(self, instance_id: int, lock_version: int):
        """The workflow committed at `lock_version`, or None; either way the entry is gone."""
        with self._lock:
            entry = self._entries.pop(instance_id, None)
            if entry is not None and entry[0] == lock_version:
                self.hits += 1
                return entry[1]
            self.misses += 1
            return None

    def put(self, instance_id: int, lock_version: int, workflow) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[instance_id] = (lock_version, workflow)
            self._entries.move_to_end(instance_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
