"""The campaign's records (线索, 机构/企业, 处置, 整改, 督办, 问责), their validation and
the service functions BPMN scripts call. See docs/process-conventions.md.

- `labels`: codes with Chinese and English labels; `messages`: validation texts.
- `models`: the tables; `crypto`: encryption at rest; `numbers`: XS-2026-000123.
- `fieldspec`, `schemas`, `forms`: validation (record schemas, task forms).
- `leads`, `records`: writes from the web and the API (register_lead, create_subject, ...).
- `reporters`, `privacy`: reporter protection (masking, audited full views).
- `services`: `make_service_functions(session, actor_name, start_process)` for the engine.
- `demo`: demo data (loaded by `flask --app web demo`).
- `wording`: how internal names read (audit actions, escalation rungs, people, units, cases).
"""
