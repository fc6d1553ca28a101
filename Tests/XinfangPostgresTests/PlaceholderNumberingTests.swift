import Testing

@testable import XinfangPostgres

/// The store's `?` placeholders as PostgreSQL's `$1, $2, …` (`PostgresSession.numbered`): counted
/// in order past nine and past a hundred, left alone inside a string literal, a quoted identifier
/// or a line comment (which a newline ends, CRLF too), with text of several bytes a character kept
/// as it is.
struct PlaceholderNumberingTests {
    @Test func placeholdersAreNumberedInOrderOutsideLiteralsAndComments() {
        let statement = PostgresSession.numbered(
            "SELECT '信访 ?', \"col?\" FROM t -- why? \r\nWHERE a = ? AND b IN (?, ?) AND c = '它''s ?' AND d = ? -- ?"
        )
        #expect(statement.text == "SELECT '信访 ?', \"col?\" FROM t -- why? \r\nWHERE a = $1 AND b IN ($2, $3) AND c = '它''s ?' AND d = $4 -- ?")
        #expect(statement.placeholders == 4)
    }

    @Test func numbersPastNineAndAHundredAreWrittenWhole() {
        let sql = "VALUES " + Array(repeating: "(?, ?)", count: 60).joined(separator: ", ")
        let statement = PostgresSession.numbered(sql)
        #expect(statement.placeholders == 120)
        #expect(statement.text == "VALUES " + (0..<60).map { "($\(2 * $0 + 1), $\(2 * $0 + 2))" }.joined(separator: ", "))
        #expect(PostgresSession.numbered("SELECT 1").text == "SELECT 1")
        #expect(PostgresSession.numbered("SELECT 1").placeholders == 0)
    }
}
