"""The `tern` command line, run as a user would: admin commands and terminal chat."""

import os
import subprocess
import time

import openai

from conftest import BIN


def test_admin_commands_create_a_user_whose_key_works(tern):
    data_dir = tern["data_dir"]
    added = tern_cli("users", "add", "Cli@Example.com", "--name", "Cli", data_dir=data_dir)
    assert added.returncode == 0, added.stderr
    assert "personal context 'cli'" in added.stdout

    duplicate = tern_cli("users", "add", "cli@example.com", data_dir=data_dir)
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr

    created = tern_cli("keys", "create", "cli@example.com", "--name", "interop", data_dir=data_dir)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("tern_")
    assert "only time it is shown" in created.stderr

    client = openai.OpenAI(base_url=tern["base_url"], api_key=secret, max_retries=0)
    # Her personal context is what `tern` means for her; only shared contexts get their own id.
    assert [m.id for m in client.models.list().data] == ["tern"]

    listed = tern_cli("keys", "list", "--user", "cli@example.com", data_dir=data_dir)
    assert secret not in listed.stdout
    key_id = listed.stdout.splitlines()[1].split()[0]

    refused = tern_cli("keys", "revoke", key_id, data_dir=data_dir)
    assert refused.returncode == 1 and "pass --yes" in refused.stderr
    revoked = tern_cli("keys", "revoke", key_id, "--yes", data_dir=data_dir)
    assert revoked.returncode == 0, revoked.stderr
    # Revoked by another process (the CLI): the server's key cache lets it go within 5 seconds
    # (docs/security.md, "Caches and revocation").
    deadline = time.monotonic() + 15
    while True:
        try:
            client.models.list()
        except openai.AuthenticationError:
            break
        if time.monotonic() > deadline:
            raise AssertionError("a revoked key still works after 15 s")
        time.sleep(0.25)


def test_bad_context_name_is_a_usage_error(tern):
    result = tern_cli("contexts", "add", "Not Valid", data_dir=tern["data_dir"])
    assert result.returncode == 64
    assert "may contain only lower-case letters" in result.stderr


def test_terminal_chat_streams_answers_and_starts_new_sessions(fake_llm, tmp_path):
    env = {"TERN_LLM_BASE_URL": fake_llm, "TERN_LLM_MODEL": "fake-model"}
    result = tern_cli(
        "chat", "--conversation", "interop", data_dir=str(tmp_path), stdin="hello chat\n/new\nsecond\n/exit\n", env=env
    )
    assert result.returncode == 0, result.stderr
    assert "Echo: hello chat" in result.stdout
    assert "(new session)" in result.stdout
    assert "Echo: second" in result.stdout


def tern_cli(*args, data_dir, stdin=None, env=None, data_dir_flag=True):
    return subprocess.run(
        [os.path.join(BIN, "tern"), *args, *(["--data-dir", data_dir] if data_dir_flag else [])],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ.get("PATH", ""), "TERN_LOG_LEVEL": "warning", **(env or {})},
        cwd=data_dir,
    )


def test_terminal_chat_names_an_unknown_context(tmp_path):
    result = tern_cli("chat", "--context", "nowhere", data_dir=str(tmp_path), stdin="hi\n")
    assert result.returncode == 1
    assert "no context named 'nowhere'" in result.stderr


def test_skills_check_reports_file_and_line_and_fails(tmp_path):
    good = tmp_path / "skills" / "timekeeper"
    good.mkdir(parents=True)
    (good / "SKILL.md").write_text("---\nname: timekeeper\ndescription: tells the time\nallowed-tools: clock\n---\nUse the clock.\n")
    bad = tmp_path / "skills" / "broken"
    bad.mkdir()
    (bad / "SKILL.md").write_text("---\nname: wrong\ndescription: x\n---\nbody\n")
    result = tern_cli("skills", "check", data_dir=str(tmp_path))
    assert result.returncode == 1
    assert "timekeeper  global  clock" in result.stdout
    assert f"problem: {bad / 'SKILL.md'}:2: name 'wrong' does not match the folder name 'broken'" in result.stdout

    (bad / "SKILL.md").unlink()
    bad.rmdir()
    assert tern_cli("skills", "check", data_dir=str(tmp_path)).returncode == 0


def test_tools_permissions_per_context(tmp_path):
    data_dir = str(tmp_path)
    denied = tern_cli("tools", "deny", "calculator", data_dir=data_dir)
    assert denied.returncode == 0, denied.stderr
    assert denied.stdout.strip() == "calculator is deny in 'default'"
    listed = tern_cli("tools", "list", data_dir=data_dir).stdout.splitlines()
    assert listed[1].split()[:4] == ["calculator", "read", "deny", "context"]
    unknown = tern_cli("tools", "deny", "nope", data_dir=data_dir)
    assert unknown.returncode == 1
    assert "tool 'nope'; the tools are: calculator, clock, git_clone" in unknown.stderr
    reset = tern_cli("tools", "reset", "calculator", data_dir=data_dir)
    assert reset.stdout.strip() == "calculator is allow in 'default' (the default)"


def test_terminal_chat_asks_before_a_gated_tool_runs(fake_llm, tmp_path):
    from test_agent import calculator_call, chat_requests, script

    (tmp_path / "tools.yaml").write_text("require_approval: [calculator]\n")
    env = {"TERN_LLM_BASE_URL": fake_llm, "TERN_LLM_MODEL": "fake-model"}
    script(fake_llm, calculator_call("6*7"), {"content": ["Yes, 42."]})
    approved = tern_cli("chat", data_dir=str(tmp_path), stdin="6*7?\ny\n/exit\n", env=env)
    assert approved.returncode == 0, approved.stderr
    assert "Run `calculator` with {\"expression\":\"6*7\"}? [y/N]" in approved.stdout
    assert "Yes, 42." in approved.stdout
    assert chat_requests(fake_llm)[-1]["messages"][-1]["content"] == "42"

    script(fake_llm, calculator_call("1/0"), {"content": ["Fine, I will not."]})
    denied = tern_cli("chat", data_dir=str(tmp_path), stdin="1/0?\nn\n/exit\n", env=env)
    assert "Fine, I will not." in denied.stdout
    assert "denied" in chat_requests(fake_llm)[-1]["messages"][-1]["content"]


def test_telegram_link_prints_a_one_time_code(tmp_path):
    result = tern_cli("telegram", "link", "local", "--minutes", "5", data_dir=str(tmp_path))
    assert result.returncode == 0, result.stderr
    code = result.stdout.strip()
    assert len(code) == 10 and code.isalnum() and code.isupper() or code.isdigit()
    assert f"sends /start {code} to the bot within 5 minutes" in result.stderr
    refused = tern_cli("telegram", "status", data_dir=str(tmp_path))
    assert refused.returncode == 1
    assert "TERN_TELEGRAM_TOKEN is not set" in refused.stderr


def test_every_command_creates_the_data_private(tmp_path):
    data_dir = tmp_path / "fresh"
    result = tern_cli(
        "migrate", data_dir=str(tmp_path), data_dir_flag=False, env={"TERN_DATA_DIR": str(data_dir)})
    assert result.returncode == 0, result.stderr
    assert oct(data_dir.stat().st_mode & 0o777) == "0o700"
    files = [p for p in data_dir.iterdir() if p.is_file()]
    assert files, "migrate created the database"
    for path in files:
        assert oct(path.stat().st_mode & 0o777) == "0o600", path
