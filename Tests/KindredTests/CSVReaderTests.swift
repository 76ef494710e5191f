import Testing
@testable import KindredIngest

/// The byte-level reader's awkward cases, with their positions.
@Suite struct CSVReaderTests {
    /// Reads every record; rejects are returned as (line, message).
    func read(_ text: String) -> (records: [[String]], lines: [Int], errors: [CSVReader.RecordError]) {
        read(Array(text.utf8))
    }

    func read(_ bytes: [UInt8]) -> (records: [[String]], lines: [Int], errors: [CSVReader.RecordError]) {
        var reader = CSVReader(bytes: bytes)
        var records: [[String]] = [], lines: [Int] = [], errors: [CSVReader.RecordError] = []
        while true {
            switch reader.next() {
            case .success(false): return (records, lines, errors)
            case .success(true):
                records.append(reader.fields.map { reader.string($0) })
                lines.append(reader.recordLine)
            case .failure(let e): errors.append(e)
            }
        }
    }

    @Test func plainRecords() {
        let r = read("a,b,c\n1,2,3\n")
        #expect(r.records == [["a", "b", "c"], ["1", "2", "3"]])
        #expect(r.lines == [1, 2])
    }

    @Test func quotedCommaQuoteAndNewline() {
        let r = read("id,note\n1,\"a, b\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\n4,x\n")
        #expect(r.records == [["id", "note"], ["1", "a, b"], ["2", "say \"hi\""], ["3", "two\nlines"], ["4", "x"]])
        // The record after a quoted line break starts one physical line later.
        #expect(r.lines == [1, 2, 3, 4, 6])
    }

    @Test func crlfAndMissingFinalNewline() {
        let r = read("a,b\r\n1,\r\n\"q\",2")
        #expect(r.records == [["a", "b"], ["1", ""], ["q", "2"]])
        #expect(r.lines == [1, 2, 3])
    }

    @Test func quotedFieldWithCRLFInside() {
        let r = read("a\r\n\"x\r\ny\"\r\nz\r\n")
        #expect(r.records == [["a"], ["x\r\ny"], ["z"]])
        #expect(r.lines == [1, 2, 4])
    }

    @Test func byteOrderMarkIsSkipped() {
        let r = read([0xEF, 0xBB, 0xBF] + Array("id,role\nx,peer\n".utf8))
        #expect(r.records.first == ["id", "role"])
    }

    @Test func blankLinesAreSkippedButCounted() {
        let r = read("a\n\n\nb\n\r\nc")
        #expect(r.records == [["a"], ["b"], ["c"]])
        #expect(r.lines == [1, 4, 6])
    }

    @Test func emptyFieldsAndTrailingComma() {
        let r = read("a,,c,\n")
        #expect(r.records == [["a", "", "c", ""]])
    }

    @Test func unterminatedQuoteIsReportedAtItsRecordsLine() {
        let r = read("a,b\n1,2\n3,\"open\n4,5\n")
        #expect(r.records == [["a", "b"], ["1", "2"]])
        #expect(r.errors.count == 1)
        #expect(r.errors.first?.line == 3)
        #expect(r.errors.first?.message.contains("unterminated") == true)
    }

    @Test func quoteInsideUnquotedFieldRejectsOnlyThatRecord() {
        let r = read("a,b\n1,x\"y\n2,z\n")
        #expect(r.records == [["a", "b"], ["2", "z"]])
        #expect(r.lines == [1, 3])
        #expect(r.errors.map(\.line) == [2])
    }

    @Test func textAfterClosingQuoteRejectsThatRecord() {
        let r = read("a\n\"x\"y\nok\n")
        #expect(r.records == [["a"], ["ok"]])
        #expect(r.errors.map(\.line) == [2])
    }

    @Test func invalidUTF8NamesLineAndColumn() throws {
        // Latin-1 "é" (0xE9) on line 3, column 4.
        let bytes = Array("id,x\nok,1\nabc".utf8) + [0xE9] + Array(",2\n".utf8)
        #expect(throws: InputError.self) { try InputFile(name: "profiles.csv", bytes: bytes) }
        do {
            _ = try InputFile(name: "profiles.csv", bytes: bytes)
        } catch let e as InputError {
            #expect(e.line == 3)
            #expect(e.column == 4)
            #expect(e.file == "profiles.csv")
        }
    }

    @Test(arguments: [
        [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80], [0xFF],
    ] as [[UInt8]])
    func malformedSequencesAreFound(_ bad: [UInt8]) {
        #expect(InputFile.firstInvalidUTF8(Array("abcdefghij".utf8) + bad) == 10)
    }

    @Test func wellFormedMultibyteIsAccepted() {
        let text = "naïve – 日本 – 😀 – non\u{00A0}breaking"
        #expect(InputFile.firstInvalidUTF8(Array(text.utf8)) == nil)
    }
}
