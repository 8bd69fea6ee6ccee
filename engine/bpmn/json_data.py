"""Task data is JSON data: values take the shape they will read back as.

A save stores task data as JSON, and a workflow may be kept in memory between
commands (engine.workflow_cache). For both to see the same values, data is
given its stored shape where it enters: script results and the data of
starts and completions. Types the serializer restores exactly (datetime,
timedelta, UUID) stay as they are.
"""
import json


def _key(key):
    # json.dumps writes these keys as strings: 1 -> "1", True -> "true", None -> "null".
    return key if isinstance(key, str) or not isinstance(key, (int, float, bool, type(None))) else json.dumps(key)


def as_stored(value):
    """`value` as a save and a load give it back: tuples and sets become lists, mapping keys strings."""
    if isinstance(value, dict):
        return {_key(key): as_stored(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [as_stored(item) for item in value]
    return value


def stored_size(value, stop_after: float = float("inf")) -> int:
    """About how many bytes `value` takes stored as JSON, counted without building the text. Counting
    stops once past `stop_after`, so a list holding one big list ten times costs no more than the limit."""
    total, pending = 0, [value]
    while pending and total <= stop_after:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, dict):
            total += 2 + len(item)
            for key, inner in item.items():
                pending.append(key)
                pending.append(inner)
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + len(item)
            pending.extend(item)
        elif isinstance(item, bytes):
            total += 2 * len(item)
        else:
            total += 8  # numbers, dates, None, booleans
    return total


def stored_size_over(value, limit: float) -> bool:
    return stored_size(value, stop_after=limit) > limit
