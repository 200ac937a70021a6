"""MLS507 unscoped-agent-file-tool: LangChain file tools that can reach every file of the machine.

Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean look-alike.
"""
import tempfile

from langchain_community.agent_toolkits import FileManagementToolkit
from langchain_community.tools import ListDirectoryTool, ReadFileTool, WriteFileTool
from langchain_community.tools.file_management import DeleteFileTool

WORKDIR = tempfile.mkdtemp(prefix="agent-")


def build_tools():
    toolkit = FileManagementToolkit()  # expect: MLS507
    read = ReadFileTool()  # expect: MLS507
    write = WriteFileTool(root_dir=None)  # expect: MLS507
    delete = DeleteFileTool()  # expect: MLS507
    scoped = FileManagementToolkit(root_dir=WORKDIR, selected_tools=["read_file", "list_directory"])  # ok
    listing = ListDirectoryTool(root_dir=WORKDIR)  # ok: confined to the work directory
    return toolkit, read, write, delete, scoped, listing
