import Foundation
import TernCore
