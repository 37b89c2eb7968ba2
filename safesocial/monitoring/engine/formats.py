"""Log formats: detection, and the SQL that turns raw lines into parsed rows.

Each parser reads `stage(n BIGINT, line VARCHAR)` and yields the same columns
(`PARSED_COLUMNS`), one row per line in the same order; `n` is passed through (the loader
numbers the lines by their position in the parsed table, cheaper than a window over them).
`reason` is NULL for a usable line, else why it is malformed; `ignored` marks lines that are
well-formed but are not requests (blank lines, Unbound's start-up messages). `line` is only
needed for malformed lines (the Squid parser, the hot one, leaves it NULL for the others to keep
the parsed table small). Parsing is the loader's job and uses DuckDB string, list, regex and JSON
functions freely; the report SQL (report.py) is the part kept portable to Spark.

Formats:

- `squid`: Squid's native access.log
  (`%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`) and the project's
  `safesocial` logformat (`%ts.%03tu %6tr %>a %un %Ss/%03>Hs %<st %rm %ru rule=%ea`), told
  apart line by line;
- `unbound`: Unbound's log with `log-queries` / `log-replies` lines
  (`info: 10.0.0.5 www.example.com. A IN`) and `rpz-log` lines
  (`info: rpz: applied [zone] www.tiktok.com. rpz-nxdomain 10.0.0.5@12345 www.tiktok.com. A IN`),
  in Unbound's own log file (`[epoch] unbound[pid:tid] info: ...`), with `log-time-iso`
  (`2025-03-04T10:15:00.123Z unbound[...]`) or through syslog (`Mar  4 10:15:00 host
  unbound: [pid:tid] info: ...`, local time in the school's timezone, year given by the caller);
- `adguard`: AdGuard Home's querylog.json, one JSON object per line.
"""

from __future__ import annotations

FORMATS = ("squid", "unbound", "adguard")

PARSED_COLUMNS = (
    "n",
    "line",
    "ts",
    "client",
    "user_raw",
    "method",
    "host",
    "port",
    "status",
    "bytes",
    "result_code",
    "blocked",
    "rule_raw",
    "source",
    "reason",
    "ignored",
)


class FormatError(ValueError):
    """The log format cannot be recognised."""


def detect_format(first_line: str) -> str:
    """The format of a file from its first non-blank line."""
    text = first_line.strip()
    if text.startswith("{"):
        return "adguard"
    if " info: " in text or "unbound[" in text or " unbound: " in text:
        return "unbound"
    head = text.split(" ", 1)[0]
    if head.replace(".", "", 1).isdigit():
        return "squid"
    raise FormatError(
        "cannot tell the log format from the first line (expected Squid access.log, Unbound "
        "log or AdGuard Home querylog.json)"
    )


# Squid, written for speed (it is the bulk of the logs): each line is split once; DuckDB's
# trim/ltrim and split_part copy or split the whole line, so they are avoided on the common
# path. `%6tr` (the elapsed time, second field) is the only padded field: its padding leaves
# `k` empty strings after the timestamp, so field i (i >= 3) of the line is g[i + k].
#
# Host and port come from the request target: `host:port` (CONNECT),
# `scheme://[user@]host[:port]/...` or `[v6]:port`; lower case, trailing dot removed.
# `error:...` and `-` give no host.
SQUID_SQL = """
WITH cut AS (
    SELECT n, line, body, strpos(body, ' ') AS sp, string_split(body, ' ') AS g
    FROM (SELECT n, line,
                 CASE WHEN starts_with(line, ' ') OR ends_with(line, ' ') THEN trim(line)
                      ELSE coalesce(line, '') END AS body
          FROM stage)
), padded AS (
    -- k: empty strings the elapsed time's padding left after the timestamp
    SELECT *,
        CASE
            WHEN sp = 0 OR g[2] <> '' THEN 0
            WHEN g[3] <> '' THEN 1
            WHEN g[4] <> '' THEN 2
            WHEN g[5] <> '' THEN 3
            WHEN g[6] <> '' THEN 4
            WHEN g[7] <> '' THEN 5
            ELSE len(g) - len(string_split(ltrim(substr(body, sp + 1)), ' ')) - 1
        END AS k
    FROM cut
), shaped AS (
    SELECT *, CASE WHEN sp = 0 THEN 1 ELSE len(g) - k END AS nf FROM padded
), fields AS (
    SELECT n, line, body, g[1] AS ts_text, nf, custom,
        g[3 + k] AS client,
        g[CASE WHEN custom THEN 4 ELSE 8 END + k] AS user_raw,
        g[4 + k + CASE WHEN custom THEN 1 ELSE 0 END] AS code_status,
        g[5 + k + CASE WHEN custom THEN 1 ELSE 0 END] AS bytes_text,
        g[6 + k + CASE WHEN custom THEN 1 ELSE 0 END] AS method,
        g[7 + k + CASE WHEN custom THEN 1 ELSE 0 END] AS url,
        CASE WHEN custom THEN substr(g[9 + k], 6) ELSE NULL END AS rule_raw
    FROM (SELECT *, (nf = 9 AND starts_with(g[9 + k], 'rule=')) AS custom FROM shaped)
), scheme AS (
    SELECT *, strpos(url, '://') AS sch FROM fields
), target AS (
    SELECT *, CASE WHEN sch > 0 THEN substr(url, sch + 3) ELSE url END AS rest FROM scheme
), auth1 AS (
    SELECT *, CASE WHEN strpos(rest, '/') > 0 THEN left(rest, strpos(rest, '/') - 1)
                   ELSE rest END AS a1
    FROM target
), auth2 AS (
    SELECT *, CASE WHEN strpos(a1, '?') > 0 THEN left(a1, strpos(a1, '?') - 1)
                   ELSE a1 END AS a2
    FROM auth1
), auth3 AS (
    SELECT *, CASE WHEN strpos(a2, '#') > 0 THEN left(a2, strpos(a2, '#') - 1) ELSE a2 END
        AS a3
    FROM auth2
), auth AS (
    SELECT *, CASE WHEN strpos(a3, '@') > 0 THEN regexp_replace(a3, '^.*@', '') ELSE a3 END
        AS auth
    FROM auth3
), colon AS (
    SELECT *, strpos(auth, ':') AS c1, starts_with(auth, '[') AS v6 FROM auth
), port_part AS (
    SELECT *, CASE WHEN c1 > 0 AND NOT v6 THEN substr(auth, c1 + 1) END AS after_colon
    FROM colon
), url_host AS (
    SELECT *,
        CASE
            WHEN url IS NULL OR url = '-' OR starts_with(url, 'error:') THEN NULL
            WHEN v6 THEN substr(auth, 2, strpos(auth, ']') - 2)
            WHEN c1 > 0 AND NOT contains(after_colon, ':') THEN left(auth, c1 - 1)
            ELSE auth
        END AS host0,
        CASE
            WHEN v6 AND contains(auth, ']:')
                THEN TRY_CAST(substr(auth, strpos(auth, ']:') + 2) AS INTEGER)
            WHEN c1 > 0 AND NOT v6 AND NOT contains(after_colon, ':')
                THEN TRY_CAST(after_colon AS INTEGER)
            WHEN sch > 0 THEN CASE lower(left(url, sch - 1))
                WHEN 'http' THEN 80 WHEN 'https' THEN 443 WHEN 'ftp' THEN 21 END
        END AS port
    FROM port_part
), typed AS (
    SELECT *,
        TRY_CAST(ts_text AS DECIMAL(18, 3)) AS ts_num,
        strpos(code_status, '/') AS slash,
        TRY_CAST(bytes_text AS BIGINT) AS bytes
    FROM url_host
), typed2 AS (
    SELECT *,
        CASE WHEN slash > 0 THEN left(code_status, slash - 1) ELSE code_status END
            AS result_code,
        CASE WHEN slash > 0 THEN TRY_CAST(substr(code_status, slash + 1) AS INTEGER) END
            AS status
    FROM typed
), judged AS (
    SELECT *,
        CASE
            WHEN body = '' THEN NULL
            WHEN contains(line, chr(65533))
                THEN 'invalid bytes (not UTF-8 or control characters)'
            WHEN NOT custom AND nf < 10 THEN
                'expected 10 fields (Squid native) or 9 ending in rule= (safesocial), found '
                || CAST(nf AS VARCHAR)
            WHEN ts_num IS NULL OR ts_num < 946684800 OR ts_num > 4102444800
                THEN 'bad timestamp'
            WHEN status IS NULL OR slash = 0 THEN 'bad result code/status'
            WHEN bytes IS NULL THEN 'bad size'
            WHEN url <> '-' AND NOT starts_with(url, 'error:') AND coalesce(host0, '') = ''
                THEN 'no host in request URL'
            ELSE NULL
        END AS reason
    FROM typed2
)
SELECT n,
    CASE WHEN reason IS NULL THEN NULL ELSE line END AS line,
    -- only in range: a long number would overflow the multiplication and stop the ingest
    CASE WHEN ts_num IS NULL OR ts_num < 946684800 OR ts_num > 4102444800 THEN NULL
         ELSE epoch_ms(CAST(ts_num * 1000 AS BIGINT)) END AS ts,
    client,
    CASE WHEN user_raw = '-' THEN NULL ELSE user_raw END AS user_raw,
    upper(method) AS method,
    rtrim(lower(host0), '.') AS host,
    port,
    status,
    bytes,
    result_code,
    contains(result_code, 'DENIED') AS blocked,
    CASE WHEN rule_raw IN ('', '-') THEN NULL ELSE rule_raw END AS rule_raw,
    'squid' AS source,
    reason,
    body = '' AS ignored
FROM judged
"""

# Unbound: the time prefix, then the message after "info: ".
UNBOUND_SQL = """
WITH base AS (
    SELECT n, line,
        regexp_extract(line, '^\\[([0-9]+)(\\.[0-9]+)?\\] ', 1) AS epoch_text,
        regexp_extract(line, '^([0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+) ', 1) AS iso_text,
        regexp_extract(line, '^([A-Z][a-z]{2} +[0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2}) ', 1)
            AS syslog_text,
        regexp_extract(line, ' info: (.*)$', 1) AS msg
    FROM stage
), timed AS (
    SELECT *,
        CASE
            WHEN epoch_text <> '' THEN epoch_ms(TRY_CAST(epoch_text AS BIGINT) * 1000)
            WHEN iso_text <> '' THEN CAST(timezone('UTC', TRY_CAST(iso_text AS TIMESTAMPTZ))
                                          AS TIMESTAMP)
            WHEN syslog_text <> '' THEN CAST(timezone('UTC', timezone($tz,
                TRY_STRPTIME(CAST($year AS VARCHAR) || ' '
                             || regexp_replace(syslog_text, ' +', ' '),
                             '%Y %b %d %H:%M:%S'))) AS TIMESTAMP)
            ELSE NULL
        END AS ts,
        starts_with(msg, 'rpz: applied ') AS rpz
    FROM base
), tokens AS (
    SELECT *,
        list_filter(string_split(
            CASE WHEN rpz THEN regexp_replace(substr(msg, 14), '^\\[[^\\]]*\\] ', '')
                 ELSE msg END, ' '), lambda x: x <> '') AS t,
        CASE WHEN rpz THEN regexp_extract(substr(msg, 14), '^\\[([^\\]]*)\\] ', 1) END AS zone
    FROM timed
), shaped AS (
    SELECT *, len(t) AS nt,
        rpz AND len(t) >= 5 AND strpos(t[len(t) - 3], '@') > 0 AS rpz_with_client
    FROM tokens
), kinds AS (
    SELECT *,
        -- a query (log-queries) or reply (log-replies) line starts with the client address;
        -- other info lines ("resolving ...", "start of service") are not requests
        NOT rpz AND nt IN (4, 8) AND regexp_full_match(t[1], '[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?')
            AS query
    FROM shaped
)
SELECT n, line, ts,
    CASE
        WHEN rpz_with_client THEN split_part(t[nt - 3], '@', 1)
        WHEN query THEN t[1]
    END AS client,
    NULL AS user_raw,
    CASE WHEN rpz OR query THEN t[nt - (CASE WHEN nt = 8 AND query THEN 5 ELSE 1 END)]
    END AS method,
    rtrim(lower(CASE WHEN rpz THEN t[nt - 2] WHEN query THEN t[2] END), '.') AS host,
    53 AS port,
    NULL AS status,
    NULL AS bytes,
    CASE
        WHEN rpz THEN CASE WHEN rpz_with_client THEN t[nt - 4] ELSE t[nt - 3] END
        WHEN query AND nt = 8 THEN t[5]
    END AS result_code,
    rpz AND coalesce(CASE WHEN rpz_with_client THEN t[nt - 4] ELSE t[nt - 3] END, '')
        NOT IN ('rpz-passthru', 'passthru', 'rpz-disabled', 'disabled') AS blocked,
    CASE WHEN rpz THEN coalesce(nullif(zone, ''), 'rpz') END AS rule_raw,
    CASE WHEN rpz THEN 'unbound-rpz' ELSE 'unbound' END AS source,
    CASE
        WHEN trim(coalesce(line, '')) = '' THEN NULL
        WHEN strpos(line, chr(65533)) > 0 THEN 'invalid bytes (not UTF-8 or control characters)'
        WHEN epoch_text = '' AND iso_text = '' AND syslog_text = ''
            THEN 'not an Unbound log line (no time prefix)'
        WHEN ts IS NULL THEN 'bad timestamp'
        WHEN rpz AND nt < 4 THEN 'rpz line with too few fields'
        WHEN rpz_with_client AND NOT regexp_full_match(split_part(t[nt - 3], '@', 1),
                                                       '[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?')
            THEN 'bad client address'
        ELSE NULL
    END AS reason,
    trim(coalesce(line, '')) = '' OR (NOT rpz AND NOT query) AS ignored
FROM kinds
"""

ADGUARD_SQL = """
WITH base AS (
    SELECT n, line, CASE WHEN json_valid(line) THEN CAST(line AS JSON) END AS j
    FROM stage
), fields AS (
    SELECT n, line, j,
        json_extract_string(j, '$.T') AS t_text,
        json_extract_string(j, '$.QH') AS qh,
        json_extract_string(j, '$.QT') AS qt,
        json_extract_string(j, '$.IP') AS ip,
        json_extract_string(j, '$.Result.IsFiltered') AS filtered,
        json_extract_string(j, '$.Result.Reason') AS why,
        json_extract_string(j, '$.Result.Rules[0].Text') AS rule_text
    FROM base
)
SELECT n, line,
    CAST(timezone('UTC', TRY_CAST(t_text AS TIMESTAMPTZ)) AS TIMESTAMP) AS ts,
    ip AS client,
    NULL AS user_raw,
    qt AS method,
    rtrim(lower(qh), '.') AS host,
    53 AS port,
    NULL AS status,
    NULL AS bytes,
    CASE WHEN why IS NULL THEN NULL ELSE 'adguard:' || why END AS result_code,
    coalesce(filtered = 'true', false) AS blocked,
    left(rule_text, 200) AS rule_raw,
    'adguard' AS source,
    CASE
        WHEN trim(coalesce(line, '')) = '' THEN NULL
        WHEN strpos(line, chr(65533)) > 0 THEN 'invalid bytes (not UTF-8 or control characters)'
        WHEN j IS NULL THEN 'not a JSON object'
        WHEN t_text IS NULL OR TRY_CAST(t_text AS TIMESTAMPTZ) IS NULL THEN 'bad or missing T'
        WHEN coalesce(qh, '') = '' THEN 'missing QH'
        WHEN ip IS NULL OR NOT regexp_full_match(ip, '[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?')
            THEN 'bad or missing IP'
        ELSE NULL
    END AS reason,
    trim(coalesce(line, '')) = '' AS ignored
FROM fields
"""

PARSERS = {"squid": SQUID_SQL, "unbound": UNBOUND_SQL, "adguard": ADGUARD_SQL}
