import TernApp

await TernCommand.runFromCommandLine()
