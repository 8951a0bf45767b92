//! Quoting for the SQL text SkyFit sends to PostgreSQL, in one place: the loader, the data
//! tests and the warehouse adoption all build statements from names found in catalogs and
//! query headers, and one quoting rule for all of them keeps an odd name from breaking one
//! path while another copes.

/// Double-quotes an identifier, doubling embedded quotes. Exact and case-sensitive.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `schema.table` quoted part by part; a name without a schema is quoted whole.
pub fn quote_table(table: &str) -> String {
    match table.split_once('.') {
        Some((schema, name)) => format!("{}.{}", quote_ident(schema), quote_ident(name)),
        None => quote_ident(table),
    }
}

/// Quotes a string literal (standard-conforming strings).
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// An identifier quoted only when PostgreSQL needs it, for statements people read (the
/// adoption plan, the catalog): plain lower-case names stay bare.
pub fn ident_if_needed(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && !NOT_A_COLUMN_NAME.contains(&name);
    if plain {
        name.to_string()
    } else {
        quote_ident(name)
    }
}

/// PostgreSQL's reserved keywords and the type/function-name keywords: the words
/// `pg_get_keywords()` lists with category `R` or `T`, which cannot stand bare as a column
/// name. The warehouse's tests compare this list with the server's.
pub const NOT_A_COLUMN_NAME: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_table("core.evo_entries"), "\"core\".\"evo_entries\"");
        assert_eq!(quote_table("t"), "\"t\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
    }

    #[test]
    fn readable_names_stay_bare() {
        assert_eq!(ident_if_needed("deal_id"), "deal_id");
        assert_eq!(ident_if_needed("authorization"), "\"authorization\"");
        assert_eq!(ident_if_needed("end"), "\"end\"");
        assert_eq!(ident_if_needed("Weird"), "\"Weird\"");
        assert_eq!(ident_if_needed("1st"), "\"1st\"");
        assert_eq!(ident_if_needed(""), "\"\"");
    }
}
