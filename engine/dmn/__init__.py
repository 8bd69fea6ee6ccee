"""DMN decision tables: parse, check, evaluate (engine.dmn.loader, engine.dmn.table)."""
