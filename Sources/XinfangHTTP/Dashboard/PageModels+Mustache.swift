import Mustache

// The rows the pages repeat most (the backlog tables' rows and figures, the case lists' rows, the
// landing page's cards), looked up by key without reflection. swift-mustache otherwise builds a
// `Mirror` of the value for every key it looks up, and again for each value on the context stack
// when a key is not the top one's: 13 % of the province's landing page in a `perf` profile.
// `PageModelKeysTests` checks that each answers every stored property as `Mirror` would, so a
// field added to a model and not here fails a test rather than vanishing from the page.

extension Cell: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "cls": cls
        case "value": value
        case "href": href
        case "wide": wide
        default: nil
        }
    }
}

extension BacklogRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "rowID": rowID
        case "href": href
        case "name": self.name
        case "level": level
        case "cells": cells
        case "isTotal": isTotal
        default: nil
        }
    }
}

extension CaseRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "light": light
        case "lightLabel": lightLabel
        case "number": number
        case "summary": summary
        case "status": status
        case "holder": holder
        case "received": received
        case "age": age
        case "due": due
        case "daysOverdue": daysOverdue
        default: nil
        }
    }
}

extension Card: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "label": label
        case "value": value
        case "id": id
        case "alert": alert
        case "href": href
        default: nil
        }
    }
}
