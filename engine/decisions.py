"""Decisions deployed and versioned like processes, and evaluated by business rule tasks.

Deploy: each decision of a DMN file becomes version n+1 of its key, unless the file is the latest
version's already (a no-op). A business rule task finds its decision by key and binding when it runs
(`latest`, `deployment`: the one deployed with the process version, `version`: a fixed number).
Compiled tables are cached per version row: a version never changes once deployed.
"""
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy import select

from engine.dmn.loader import load_decisions
from engine.dmn.table import CompiledDecision, DecisionOutcome
from engine.dmn.task import DecisionTask
from engine.errors import NotFound, Problem
from engine.store import deferred_rows
from engine.store.decision_models import DecisionDefinition

CACHE_SIZE = 256
_MAX_AUDITED_INPUT = 200  # characters of each input value the audit row keeps


@dataclass
class DecisionDeployResult:
    definition: DecisionDefinition
    created: bool
    warnings: list = field(default_factory=list)


class DecisionRepository:
    def __init__(self):
        self._compiled: OrderedDict[int, CompiledDecision] = OrderedDict()
        self._lock = threading.Lock()

    # -- deploy -----------------------------------------------------------

    def deploy(self, ctx, data: bytes, filename: str, comment: str | None, deployment_id: str) -> list:
        """Every decision of the file: a new version, or the latest one when the file is unchanged."""
        parsed_all = load_decisions(data, filename)
        checksum = hashlib.sha256(data).hexdigest()
        results = []
        for parsed in parsed_all:
            latest = self.latest(ctx.session, parsed.key, required=False)
            if latest is not None and latest.checksum == checksum:
                results.append(DecisionDeployResult(latest, False, list(parsed.warnings)))
                continue
            definition = DecisionDefinition(
                decision_key=parsed.key, version=(latest.version + 1) if latest else 1, name=parsed.name,
                hit_policy=parsed.hit_policy, checksum=checksum, filename=filename, source_xml=data,
                deployment_id=deployment_id, deployed_at=ctx.now, deployed_by=ctx.actor.username, comment=comment)
            ctx.session.add(definition)
            ctx.session.flush()
            # Cached once committed: a rolled-back id may be given to another version (SQLite reuses them).
            ctx.after_commit(lambda id=definition.id, table=parsed.table: self._remember(id, table))
            ctx.audit("decision.deployed", data={"decision": parsed.key, "version": definition.version,
                                                 "checksum": checksum})
            results.append(DecisionDeployResult(definition, True, list(parsed.warnings)))
        return results

    # -- lookup -----------------------------------------------------------

    @staticmethod
    def latest(session, key: str, required: bool = True) -> DecisionDefinition | None:
        definition = session.scalars(select(DecisionDefinition).where(DecisionDefinition.decision_key == key)
                                     .order_by(DecisionDefinition.version.desc()).limit(1)).first()
        if definition is None and required:
            raise NotFound("decision {decision} is not deployed", decision=key)
        return definition

    def find(self, session, key: str, binding: str = "latest", version: int | None = None,
             deployment_id: str | None = None) -> DecisionDefinition:
        if binding == "latest":
            return self.latest(session, key)
        query = select(DecisionDefinition).where(DecisionDefinition.decision_key == key)
        if binding == "version":
            definition = session.scalars(query.where(DecisionDefinition.version == version)).first()
            if definition is None:
                raise NotFound("decision {decision} has no version {version}", decision=key, version=version)
            return definition
        definition = session.scalars(query.where(DecisionDefinition.deployment_id == deployment_id)
                                     .order_by(DecisionDefinition.version.desc()).limit(1)).first() \
            if deployment_id else None
        if definition is None:
            raise NotFound("decision {decision} was not deployed together with this process version "
                           "(camunda:decisionRefBinding=\"deployment\")", decision=key)
        return definition

    def compiled(self, session, definition: DecisionDefinition) -> CompiledDecision:
        with self._lock:
            table = self._compiled.get(definition.id)
            if table is not None:
                self._compiled.move_to_end(definition.id)
                return table
        source = session.scalar(select(DecisionDefinition.source_xml).where(DecisionDefinition.id == definition.id))
        table = next(p.table for p in load_decisions(source, definition.filename) if p.key == definition.decision_key)
        self._remember(definition.id, table)
        return table

    def _remember(self, definition_id: int, table: CompiledDecision) -> None:
        with self._lock:
            self._compiled[definition_id] = table
            while len(self._compiled) > CACHE_SIZE:
                self._compiled.popitem(last=False)

    # -- evaluate ---------------------------------------------------------

    def evaluate(self, session, key: str, variables: dict, version: int | None = None):
        """(definition, outcome) of the latest (or a given) version for `variables`; DecisionFailed."""
        definition = self.find(session, key, "version" if version is not None else "latest", version)
        return definition, self.compiled(session, definition).evaluate(variables)

    def for_task(self, ctx, my_task, settings: dict) -> DecisionOutcome:
        """What a business rule task asks for (engine.dmn.task): found by its binding, evaluated on the
        task's data, and audited with the rules that matched (which rule was applied, and why)."""
        key = settings["ref"]
        if key.startswith(("${", "#{")):
            key = str(my_task.workflow.script_engine.evaluate(my_task, key))
        instance = ctx.session.info.get(deferred_rows.CURRENT_INSTANCE)
        deployment_id = instance.definition.deployment_id if instance is not None else None
        definition = self.find(ctx.session, key, settings.get("binding") or "latest", settings.get("version"),
                               deployment_id)
        outcome = self.compiled(ctx.session, definition).evaluate(my_task.data)
        ctx.audit("decision.evaluated", instance, element_id=my_task.task_spec.bpmn_id, data={
            "decision": definition.decision_key, "version": definition.version,
            "inputs": {name: _short(value) for name, value in outcome.inputs.items()},
            "rules": [match.row for match in outcome.matched], "results": outcome.results})
        return outcome


def _short(value):
    if isinstance(value, str) and len(value) > _MAX_AUDITED_INPUT:
        return value[:_MAX_AUDITED_INPUT] + "…"
    return value


def missing_decisions(session, parsed, filename: str) -> list[Problem]:
    """Deploy-time warnings for business rule tasks whose decision is not deployed (yet)."""
    problems = []
    for spec in (parsed.spec, *parsed.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            settings = task_spec.extensions.get("decision") if isinstance(task_spec, DecisionTask) else None
            if not settings or settings["ref"].startswith(("${", "#{")):
                continue
            query = select(DecisionDefinition.id).where(DecisionDefinition.decision_key == settings["ref"])
            if settings["binding"] == "version":
                query = query.where(DecisionDefinition.version == settings["version"])
            if session.scalar(query.limit(1)) is None:
                version = f" version {settings['version']}" if settings["binding"] == "version" else ""
                problems.append(Problem(
                    f"evaluates decision {settings['ref']!r}{version}, which is not deployed; an instance that "
                    "gets here stops with an incident until it is", element_id=task_spec.bpmn_id, file=filename,
                    severity="warning"))
    return problems
