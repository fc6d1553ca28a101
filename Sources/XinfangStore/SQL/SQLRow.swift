/// One row a query returned: its columns by name (as the SQL names them) and their values.
public struct SQLRow: Sendable {
    public let columns: [String]
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        precondition(columns.count == values.count, "a row has a value for each of its columns")
        self.columns = columns
        self.values = values
    }

    /// The value of `column`, which the statement must name; nil only for NULL in an optional.
    /// A column the statement does not return, or a value of another form, is a programming error
    /// (the SQL and the Swift disagree), and stops the process as GRDB's rows do.
    public subscript<Value: SQLValueConvertible>(_ column: String) -> Value {
        guard let index = columns.firstIndex(of: column) else {
            preconditionFailure("the row has no column \(column) (it has \(columns.joined(separator: ", ")))")
        }
        return self[index]
    }

    public subscript<Value: SQLValueConvertible>(_ index: Int) -> Value {
        guard let value = Value.fromSQL(values[index]) else {
            preconditionFailure("column \(columns[index]) holds \(values[index]), not a \(Value.self)")
        }
        return value
    }

    /// Whether the statement returned `column`.
    public func has(_ column: String) -> Bool { columns.contains(column) }
}
