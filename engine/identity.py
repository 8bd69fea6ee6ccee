"""Who is acting: the engine only needs a name, groups and roles."""
from dataclasses import dataclass, field

SUPERVISOR_ROLES = frozenset({"supervisor", "office_leader", "administrator"})


@dataclass(frozen=True)
class Actor:
    username: str
    groups: frozenset = field(default_factory=frozenset)  # units and roles, as BPMN candidate groups name them
    roles: frozenset = field(default_factory=frozenset)

    @property
    def supervises(self) -> bool:
        return bool(self.roles & SUPERVISOR_ROLES)


SYSTEM = Actor("system", roles=frozenset({"administrator"}))
