import Testing
import TernTools
