"""The per-SDR daily send cap: room reserved atomically per (SDR, local day)."""

from datetime import date

from django.db import connection, transaction


def reserve_sends(
    wanted: dict[tuple[int, object], int], caps: dict[int, int]
) -> dict[tuple[int, object], int]:
    """Reserve daily-cap room for {(owner id, local day): number of emails}; returns how many
    each may send. One upsert for all owners (it adds what is asked and returns the totals),
    then the part over the cap is given back."""
    if not wanted:
        return {}
    # Sorted: every dispatcher locks the counter rows in the same order, so two of them
    # reserving for overlapping SDRs queue up instead of deadlocking.
    keys = sorted(wanted)
    values = ", ".join(["(%s, %s, %s)"] * len(keys))
    params = [p for k in keys for p in (k[0], k[1], wanted[k])]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cadences_sendcounter (owner_id, day, sent) VALUES "
            + values
            + " ON CONFLICT (owner_id, day) DO UPDATE SET sent = cadences_sendcounter.sent"
            " + EXCLUDED.sent RETURNING owner_id, day, sent",
            params,
        )
        totals = {(row[0], _as_date(row[1])): row[2] for row in cursor.fetchall()}
        allowed = {}
        for key in keys:
            over = max(0, totals[key] - caps[key[0]])
            allowed[key] = max(0, wanted[key] - over)
            give_back = wanted[key] - allowed[key]
            if give_back:
                release_sends(key, give_back, cursor)
    return allowed


def release_sends(key: tuple[int, object], n: int, cursor=None) -> None:
    sql = "UPDATE cadences_sendcounter SET sent = sent - %s WHERE owner_id = %s AND day = %s"
    if cursor is not None:
        cursor.execute(sql, [n, key[0], key[1]])
        return
    with connection.cursor() as c:
        c.execute(sql, [n, key[0], key[1]])


def _as_date(value):
    return value if isinstance(value, date) else date.fromisoformat(str(value))
