"""Starting claude: the pure launch plan and the process side (exec, supervise, the 0600 temporary
settings file).
"""
