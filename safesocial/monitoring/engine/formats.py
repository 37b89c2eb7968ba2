"""Log formats: detection, and the SQL that turns raw lines into parsed rows.

Each parser reads `stage(n BIGINT, line VARCHAR)` (n = line number within the chunk) and yields
the same columns (`PARSED_COLUMNS`): `reason` is NULL for a usable line, else why it is
malformed; `ignored` marks lines that are well-formed but are not requests (blank lines,
Unbound's start-up messages). Parsing is the loader's job and uses DuckDB string, list, regex
and JSON functions freely; the report SQL (report.py) is the part kept portable to Spark.

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

# ruff: noqa: S608 -- the SQL is assembled from constants in this module

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


# Host and port from a request target: `host:port` (CONNECT), `scheme://[user@]host[:port]/...`
# or `[v6]:port`. Lower case, trailing dot removed. `error:...` and `-` give no host.
_HOST_SQL = """
, url_rest AS (
    SELECT *,
        CASE WHEN strpos(url, '://') > 0 THEN lower(substr(url, 1, strpos(url, '://') - 1))
             ELSE NULL END AS scheme,
        CASE WHEN strpos(url, '://') > 0 THEN substr(url, strpos(url, '://') + 3)
             ELSE url END AS rest
    FROM fields
), url_auth AS (
    SELECT *,
        split_part(split_part(split_part(rest, '/', 1), '?', 1), '#', 1) AS auth0
    FROM url_rest
), url_auth2 AS (
    SELECT *,
        CASE WHEN strpos(auth0, '@') > 0 THEN regexp_replace(auth0, '^.*@', '')
             ELSE auth0 END AS auth
    FROM url_auth
), url_host AS (
    SELECT *,
        CASE
            WHEN url IS NULL OR url = '-' OR url LIKE 'error:%' THEN NULL
            WHEN auth LIKE '[%' THEN substr(auth, 2, strpos(auth, ']') - 2)
            WHEN length(auth) - length(replace(auth, ':', '')) = 1 THEN split_part(auth, ':', 1)
            ELSE auth
        END AS host0,
        CASE
            WHEN auth LIKE '[%]:%' THEN TRY_CAST(substr(auth, strpos(auth, ']:') + 2) AS INTEGER)
            WHEN auth NOT LIKE '[%' AND length(auth) - length(replace(auth, ':', '')) = 1
                THEN TRY_CAST(split_part(auth, ':', 2) AS INTEGER)
            WHEN scheme = 'http' THEN 80
            WHEN scheme = 'https' THEN 443
            WHEN scheme = 'ftp' THEN 21
            ELSE NULL
        END AS port
    FROM url_auth2
)
"""

SQUID_SQL = (
    """
WITH split AS (
    -- Only %6tr (the elapsed time, second field) is padded: cut the timestamp off, trim the
    -- padding, then split the rest once.
    SELECT n, line, ts_text, string_split(ltrim(substr(body, length(ts_text) + 2)), ' ') AS f
    FROM (SELECT n, line, trim(coalesce(line, '')) AS body,
                 split_part(trim(coalesce(line, '')), ' ', 1) AS ts_text
          FROM stage)
), fields AS (
    SELECT n, line, ts_text, len(f) + 1 AS nf, custom,
        f[2] AS client,
        CASE WHEN custom THEN f[3] ELSE f[7] END AS user_raw,
        CASE WHEN custom THEN f[4] ELSE f[3] END AS code_status,
        CASE WHEN custom THEN f[5] ELSE f[4] END AS bytes_text,
        CASE WHEN custom THEN f[6] ELSE f[5] END AS method,
        CASE WHEN custom THEN f[7] ELSE f[6] END AS url,
        CASE WHEN custom THEN substr(f[8], 6) ELSE NULL END AS rule_raw
    FROM (SELECT *, (len(f) = 8 AND starts_with(f[8], 'rule=')) AS custom FROM split)
)"""
    + _HOST_SQL
    + """
, typed AS (
    SELECT *,
        TRY_CAST(ts_text AS DECIMAL(18, 3)) AS ts_num,
        split_part(code_status, '/', 1) AS result_code,
        TRY_CAST(split_part(code_status, '/', 2) AS INTEGER) AS status,
        TRY_CAST(bytes_text AS BIGINT) AS bytes
    FROM url_host
)
SELECT n, line,
    CASE WHEN ts_num IS NULL THEN NULL
         ELSE epoch_ms(CAST(ts_num * 1000 AS BIGINT)) END AS ts,
    client,
    CASE WHEN user_raw = '-' THEN NULL ELSE user_raw END AS user_raw,
    upper(method) AS method,
    rtrim(lower(host0), '.') AS host,
    port,
    status,
    bytes,
    result_code,
    (strpos(result_code, 'DENIED') > 0) AS blocked,
    CASE WHEN rule_raw IN ('', '-') THEN NULL ELSE rule_raw END AS rule_raw,
    'squid' AS source,
    CASE
        WHEN trim(coalesce(line, '')) = '' THEN NULL
        WHEN strpos(line, chr(65533)) > 0 THEN 'invalid bytes (not UTF-8 or control characters)'
        WHEN NOT custom AND nf < 10 THEN
            'expected 10 fields (Squid native) or 9 ending in rule= (safesocial), found '
            || CAST(nf AS VARCHAR)
        WHEN ts_num IS NULL OR ts_num < 946684800 OR ts_num > 4102444800 THEN 'bad timestamp'
        WHEN status IS NULL OR strpos(code_status, '/') = 0 THEN 'bad result code/status'
        WHEN bytes IS NULL THEN 'bad size'
        WHEN url <> '-' AND url NOT LIKE 'error:%' AND coalesce(host0, '') = ''
            THEN 'no host in request URL'
        ELSE NULL
    END AS reason,
    trim(coalesce(line, '')) = '' AS ignored
FROM typed
"""
)

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
