/**
 * Names PostgreSQL and RDS refuse for a master user or a database RDS creates. RDS: "Can't be
 * a reserved word for the chosen database engine"; PostgreSQL's reserved key words (PostgreSQL
 * 17, src/include/parser/kwlist.h: RESERVED_KEYWORD and TYPE_FUNC_NAME_KEYWORD, the ones marked
 * "reserved" in the SQL Key Words appendix) cannot be used unquoted as names.
 */
export const postgresReservedWords: ReadonlySet<string> = new Set([
    // RESERVED_KEYWORD
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case", "cast", "check",
    "collate", "column", "constraint", "create", "current_catalog", "current_date", "current_role", "current_time",
    "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end", "except",
    "false", "fetch", "for", "foreign", "from", "grant", "group", "having", "in", "initially", "intersect", "into",
    "lateral", "leading", "limit", "localtime", "localtimestamp", "not", "null", "offset", "on", "only", "or", "order",
    "placing", "primary", "references", "returning", "select", "session_user", "some", "symmetric", "system_user",
    "table", "then", "to", "trailing", "true", "union", "unique", "user", "using", "variadic", "when", "where",
    "window", "with",
    // TYPE_FUNC_NAME_KEYWORD
    "authorization", "binary", "collation", "concurrently", "cross", "current_schema", "freeze", "full", "ilike",
    "inner", "is", "isnull", "join", "left", "like", "natural", "notnull", "outer", "overlaps", "right", "similar",
    "tablesample", "verbose",
]);

/** Why a role name cannot be the master user RDS creates (or one the app logs in as), if it cannot. */
export function reservedRoleReason(name: string, { master }: { master: boolean }): string | undefined {
    const lower = name.toLowerCase();
    if (["rdsadmin", "rdsrepladmin", "rdstopmgr", "rdsproxyadmin"].includes(lower)) return "RDS reserves it for its own administration";
    if (lower.startsWith("rds_")) return "RDS reserves rds_ role names for its predefined roles";
    if (lower.startsWith("pg_")) return "PostgreSQL reserves role names starting with pg_";
    if (lower === "public" || lower === "none") return `PostgreSQL reserves the role name ${lower}`;
    if (master && postgresReservedWords.has(lower)) return "it is a PostgreSQL reserved word";
    return undefined;
}

/** Why a database name cannot be created by RDS (owned) or connected to (existing), if it cannot. */
export function reservedDatabaseReason(name: string, { created }: { created: boolean }): string | undefined {
    const lower = name.toLowerCase();
    if (lower === "template0" || lower === "template1") return "it names a PostgreSQL template database";
    if (lower === "rdsadmin") return "RDS reserves it for its own administration";
    if (created && postgresReservedWords.has(lower)) return "it is a PostgreSQL reserved word";
    return undefined;
}
