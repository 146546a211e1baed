import SQLKit
import Testing

/// One column read as one Swift type through any `SQLRow`, described as text.
struct RowRead: Sendable {
    let type: String
    let decode: @Sendable (any SQLRow, String) throws -> String

    static func of<T: Decodable>(_ type: T.Type) -> RowRead {
        RowRead(type: "\(T.self)") { row, column in "\(try row.decode(column: column, as: T.self))" }
    }
}

/// Tern's row (`ours`) and the driver's row (`theirs`) of the same statement must answer alike:
/// which columns they have, and every column of `columns` read as nil and as every type of
/// `reads` (the same value, or both an error). `namingErrorTypes` false compares errors only as
/// errors, for rows whose error types differ by design.
func expectSameReads(
    _ ours: any SQLRow, _ theirs: any SQLRow, columns: [String], reads: [RowRead], driver: String,
    namingErrorTypes: Bool = true, sourceLocation: SourceLocation = #_sourceLocation
) {
    func outcome<T>(_ body: () throws -> T) -> String {
        do { return "value: \(try body())" } catch { return namingErrorTypes ? "error: \(type(of: error))" : "error" }
    }
    for column in columns {
        #expect(ours.contains(column: column) == theirs.contains(column: column), "\(column)", sourceLocation: sourceLocation)
        let nils = (outcome { try ours.decodeNil(column: column) }, outcome { try theirs.decodeNil(column: column) })
        #expect(nils.0 == nils.1, "\(column) nil: \(nils.0) here, \(nils.1) through \(driver)", sourceLocation: sourceLocation)
        for read in reads {
            let (mine, other) = (outcome { try read.decode(ours, column) }, outcome { try read.decode(theirs, column) })
            #expect(
                mine == other, "\(column) as \(read.type): \(mine) here, \(other) through \(driver)",
                sourceLocation: sourceLocation)
        }
    }
}
