// Drives code-server (VS Code in the browser) with playwright-core and Debian's chromium: opens a
// note, waits for ibid's diagnostics in the Problems panel and hovers a citation.
// Run by run.sh; settings come from the environment:
//   URL, OUT (folder for screenshots), PLAYWRIGHT (path to playwright-core), NOTE (file to open),
//   EXPECT_PROBLEM (text of a Problems row), HOVER_ON (the text to hover: its
//   topmost occurrence on the screen), EXPECT_HOVER (text the hover must contain), SHOT (hover screenshot).
const { chromium } = require(process.env.PLAYWRIGHT);
const env = (name, fallback) => process.env[name] || fallback;
const out = env("OUT", ".");

/** Moves the mouse over the topmost `needle` shown in the editor. */
async function hoverText(page, needle) {
  const editor = page.locator(".editor-group-container .monaco-editor .view-lines").first();
  await editor.waitFor({ state: "visible", timeout: 10000 });
  const point = await editor.evaluate((element, text) => {
    let best = null;
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.textContent.replace(/\u00a0/g, " ").indexOf(text);
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(node, at + 1);
      range.setEnd(node, at + 2);
      const rect = range.getBoundingClientRect();
      if (best === null || rect.y < best.y) best = { x: rect.x + rect.width / 2, y: rect.y + rect.height / 2 };
    }
    return best;
  }, needle);
  if (point === null) throw new Error(`"${needle}" is not on the screen`);
  await page.mouse.move(point.x, point.y);
}

(async () => {
  const browser = await chromium.launch({
    executablePath: env("CHROMIUM", "/usr/bin/chromium"),
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const failures = [];
  try {
    await page.goto(process.env.URL, { waitUntil: "domcontentloaded" });
    await page.waitForSelector(".monaco-workbench", { timeout: 60000 });
    await page.waitForTimeout(3000);
    const note = env("NOTE", "briefing.md");
    await page.keyboard.press("Control+P");
    await page.waitForSelector(".quick-input-widget input", { timeout: 10000 });
    await page.keyboard.type(note);
    const row = page.locator(".quick-input-list .monaco-list-row").filter({ hasText: note }).first();
    await row.waitFor({ timeout: 20000 }); // file search lags on a cold start
    await row.click();
    await page.waitForSelector(".monaco-editor .view-lines", { timeout: 20000 });

    // Diagnostics: the Problems panel lists ibid's (source "ibid", with the code).
    await page.keyboard.press("Control+Shift+M");
    const expectProblem = env("EXPECT_PROBLEM", "unknown-source");
    const problem = page.locator(".markers-panel .monaco-list-row").filter({ hasText: expectProblem }).first();
    try {
      await problem.waitFor({ timeout: 60000 });
      console.log("problem:", (await problem.innerText()).replace(/\s+/g, " "));
    } catch {
      failures.push(`no Problems row with "${expectProblem}"`);
    }
    const rows = await page.locator(".markers-panel .monaco-list-row").allInnerTexts();
    console.log("Problems panel:\n  " + rows.map((text) => text.replace(/\s+/g, " ")).join("\n  "));

    // Hover.
    const expectHover = env("EXPECT_HOVER", "Halden");
    await hoverText(page, env("HOVER_ON", "@halden2021"));
    const hover = page.locator(".monaco-hover").filter({ hasText: expectHover }).first();
    try {
      await hover.waitFor({ state: "visible", timeout: 15000 });
      await page.waitForTimeout(500);
      console.log("hover:", (await hover.innerText()).replace(/\s+/g, " "));
    } catch {
      failures.push(`no hover containing "${expectHover}"`);
    }
    await page.screenshot({ path: env("SHOT", out + "/hover.png") });
    await page.mouse.move(5, 5);

  } catch (error) {
    failures.push(error.message.split("\n")[0]);
  }
  if (failures.length > 0) {
    try { await page.screenshot({ path: out + "/failure.png" }); } catch {}
  }
  await browser.close();
  for (const failure of failures) console.log("FAIL:", failure);
  console.log(failures.length === 0 ? "PASS" : `FAILED (screenshot: ${out}/failure.png)`);
  process.exit(failures.length === 0 ? 0 : 1);
})();
