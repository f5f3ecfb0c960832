// Drives code-server (VS Code in the browser) with playwright-core and Debian's chromium: opens a
// note, waits for ibid's diagnostics in the Problems panel, hovers a diagnostic's range (the
// diagnostic and the server's hover show together), then, with the panel closed, hovers a citation
// with the diagnostics' squiggles in view. Both are screenshotted (the editor area only).
// Run by run.sh; settings come from the environment:
//   URL, OUT (folder for screenshots), PLAYWRIGHT (path to playwright-core), NOTE (file to open),
//   EXPECT_PROBLEM (text of a Problems row),
//   PROBLEM_LINE (line to centre first), PROBLEM_ON (text to hover there), EXPECT_PROBLEM_HOVER
//   (text that hover must contain), DIAGNOSTIC_SHOT (its screenshot, editor and Problems panel),
//   HOVER_LINE (line to reveal before the second hover), HOVER_ON (the text to hover: its
//   topmost occurrence on the screen), EXPECT_HOVER (text the hover must contain), SHOT (hover
//   screenshot), MIN_SQUIGGLES (diagnostic squiggles that must be on the screen with that hover),
//   FIX_TITLE (the quick fix applied on the misquote).
// Also: a glossary term's hover (TERM_ON, EXPECT_TERM_HOVER); go to definition (F12) on the first
// quotation must open halden2021.md at line 11, where the code lens EXPECT_LENS opens the note in
// a peek view; the quick fix on the misquote must rewrite it to the source's words and clear its
// diagnostic; ibid: Restart server must bring the diagnostics back. BASIC=1 skips these (for a
// stand-in server, see stand_in.py).
const { chromium } = require(process.env.PLAYWRIGHT);
const env = (name, fallback) => process.env[name] || fallback;
const out = env("OUT", ".");

/** Reveals `line` of the editor (Go to Line, which centres it). */
async function revealLine(page, line) {
  await page.locator(".editor-group-container .monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+G");
  await page.waitForSelector(".quick-input-widget input", { timeout: 10000 });
  await page.keyboard.type(String(line));
  await page.keyboard.press("Enter");
  await page.waitForTimeout(500);
}

/** Moves the mouse away and closes any hover. */
async function dismissHover(page) {
  await page.mouse.move(5, 5);
  await page.keyboard.press("Escape");
  await page.waitForTimeout(500);
}

/** The bounding box of the given workbench parts, for a screenshot clip. */
async function clipOf(page, selectors) {
  const boxes = [];
  for (const selector of selectors) {
    const box = await page.locator(selector).first().boundingBox();
    if (box !== null && box.width > 0 && box.height > 0) boxes.push(box);
  }
  if (boxes.length === 0) return undefined;
  const x = Math.min(...boxes.map((b) => b.x));
  const y = Math.min(...boxes.map((b) => b.y));
  const right = Math.max(...boxes.map((b) => b.x + b.width));
  const bottom = Math.max(...boxes.map((b) => b.y + b.height));
  return { x, y, width: right - x, height: bottom - y };
}

/** Waits for a visible hover containing `expected`; returns its text or records a failure. */
async function readHover(page, expected, failures) {
  const hover = page.locator(".monaco-hover:visible").filter({ hasText: expected }).first();
  try {
    await hover.waitFor({ state: "visible", timeout: 15000 });
    await page.waitForTimeout(700);
    return (await hover.innerText()).replace(/\s+/g, " ");
  } catch {
    const shown = await page.locator(".monaco-hover:visible").allInnerTexts();
    failures.push(`no hover containing "${expected}" (shown: ${JSON.stringify(shown.map((t) => t.replace(/\s+/g, " ")))})`);
    return null;
  }
}

/** Moves the mouse over the topmost `needle` shown in the editor. */
async function hoverText(page, needle) {
  const point = await pointAt(page, needle);
  await page.mouse.move(point.x, point.y);
}

/** Clicks (puts the cursor) in the topmost `needle` shown in the editor. */
async function clickText(page, needle) {
  const point = await pointAt(page, needle);
  await page.mouse.click(point.x, point.y);
}

/** The screen point of the second character of the topmost `needle` shown in the editor. */
async function pointAt(page, needle) {
  const editor = page.locator(".editor-group-container .monaco-editor .view-lines").first();
  await editor.waitFor({ state: "visible", timeout: 10000 });
  const point = await editor.evaluate((element, text) => {
    // Search each rendered line as a whole: VS Code splits a line into spans (long ones every
    // ~50 characters), so the needle may cross text nodes.
    let best = null;
    for (const line of element.querySelectorAll(".view-line")) {
      const nodes = [];
      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node);
      const whole = nodes.map((node) => node.textContent).join("").replace(/\u00a0/g, " ");
      const at = whole.indexOf(text);
      if (at < 0) continue;
      let offset = at + 1; // the needle's second character, in the node that holds it
      let target = null;
      for (const node of nodes) {
        if (offset < node.textContent.length) { target = node; break; }
        offset -= node.textContent.length;
      }
      if (target === null) continue;
      const range = document.createRange();
      range.setStart(target, offset);
      range.setEnd(target, offset + 1);
      const rect = range.getBoundingClientRect();
      if (best === null || rect.y < best.y) best = { x: rect.x + rect.width / 2, y: rect.y + rect.height / 2 };
    }
    return best;
  }, needle);
  if (point === null) throw new Error(`"${needle}" is not on the screen`);
  return point;
}

/** The active editor tab's label and the status bar's cursor position ("Ln 11, Col 5"). */
async function whereAmI(page) {
  const tab = (await page.locator(".editor-group-container .tab.active").first().innerText()).trim();
  const cursor = (await page.locator("#status\\.editor\\.selection").first().innerText()).trim();
  return { tab, cursor };
}

(async () => {
  const browser = await chromium.launch({
    executablePath: env("CHROMIUM", "/usr/bin/chromium"),
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
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

    // A diagnostic's hover: VS Code shows the diagnostic (message, code) and the server's hover.
    const problemLine = env("PROBLEM_LINE", "27"); // centred, so line 33 sits low and its hover fits above
    await revealLine(page, problemLine);
    await hoverText(page, env("PROBLEM_ON", "fell to 28"));
    const problemHover = await readHover(page, env("EXPECT_PROBLEM_HOVER", "quote-inexact"), failures);
    if (problemHover !== null) console.log("diagnostic hover:", problemHover);
    await page.screenshot({
      path: env("DIAGNOSTIC_SHOT", out + "/diagnostic.png"),
      clip: await clipOf(page, [".part.editor", ".part.panel"]),
    });
    await dismissHover(page);

    // A citation's hover, with the Problems panel closed and the squiggles in view.
    await page.keyboard.press("Control+J");
    await page.locator(".part.panel").waitFor({ state: "hidden", timeout: 5000 }).catch(() => {
      failures.push("the panel did not close");
    });
    await revealLine(page, env("HOVER_LINE", "32"));
    await page.waitForTimeout(500);
    const squiggles = await page.locator(
      ".editor-group-container .monaco-editor .squiggly-error, .editor-group-container .monaco-editor .squiggly-warning",
    ).count();
    console.log("squiggles on the screen:", squiggles);
    const minSquiggles = Number(env("MIN_SQUIGGLES", "4"));
    if (squiggles < minSquiggles) failures.push(`${squiggles} squiggles on the screen, expected at least ${minSquiggles}`);
    await hoverText(page, env("HOVER_ON", "@halden2021"));
    const hover = await readHover(page, env("EXPECT_HOVER", "Halden"), failures);
    if (hover !== null) console.log("hover:", hover);
    await page.screenshot({ path: env("SHOT", out + "/hover.png"), clip: await clipOf(page, [".part.editor"]) });
    await dismissHover(page);

    // The rest needs the real server (BASIC=1 stops here, e.g. with stand_in.py).
    if (process.env.BASIC !== "1") {
      // A glossary term's hover (the note's own definition list).
      await hoverText(page, env("TERM_ON", "Riverbend Principle, under"));
      const termHover = await readHover(page, env("EXPECT_TERM_HOVER", "downstream neighbours"), failures);
      if (termHover !== null) console.log("term hover:", termHover);
      await dismissHover(page);

      // Go to definition on a quotation opens the source at the quoted words.
      await revealLine(page, "21");
      await clickText(page, "no state may alter");
      await page.keyboard.press("F12");
      try {
        await page.locator(".editor-group-container .tab.active").filter({ hasText: "halden2021.md" })
          .waitFor({ timeout: 15000 });
        await page.waitForTimeout(500);
        const place = await whereAmI(page);
        console.log("definition:", place.tab, place.cursor);
        if (!place.cursor.startsWith("Ln 11,")) failures.push(`definition went to ${place.cursor}, expected line 11`);
      } catch {
        failures.push(`go to definition did not open halden2021.md (active: ${JSON.stringify(await whereAmI(page))})`);
      }

      // In the source, the code lens above the quoted passage opens the quoting note in a peek view.
      const lens = page.locator(".editor-group-container .monaco-editor .codelens-decoration a")
        .filter({ hasText: env("EXPECT_LENS", "quoted in 1 note") }).first();
      try {
        await lens.waitFor({ timeout: 15000 });
        console.log("code lens:", (await lens.innerText()).trim());
        await lens.click();
        const peek = page.locator(".peekview-widget").filter({ hasText: note }).first();
        await peek.waitFor({ timeout: 10000 });
        console.log("peek view:", (await peek.locator(".peekview-title").first().innerText()).replace(/\s+/g, " "));
        await page.keyboard.press("Escape");
      } catch (error) {
        failures.push(`no code lens "quoted in 1 note" opening ${note} in a peek view: ${error.message.split("\n")[0]}`);
      }

      // The quick fix of the misquote replaces it with the source's words; the diagnostic goes.
      await page.keyboard.press("Control+P");
      await page.waitForSelector(".quick-input-widget input", { timeout: 10000 });
      await page.keyboard.type(note);
      await page.locator(".quick-input-list .monaco-list-row").filter({ hasText: note }).first().click();
      await revealLine(page, "33");
      await clickText(page, "fell to 28");
      await page.keyboard.press("Control+.");
      const fixTitle = env("FIX_TITLE", "Replace with the source's words");
      const fix = page.locator(".action-widget .monaco-list-row").filter({ hasText: fixTitle }).first();
      try {
        await fix.waitFor({ timeout: 15000 });
        const offered = await page.locator(".action-widget .monaco-list-row").allInnerTexts();
        console.log("quick fixes offered:", JSON.stringify(offered.map((t) => t.replace(/\s+/g, " ").trim())));
        await page.waitForTimeout(500);
        await page.keyboard.press("Enter"); // the first fix is focused
        await page.locator(".editor-group-container .monaco-editor .view-lines").filter({ hasText: "fell to 38 per cent" })
          .first().waitFor({ timeout: 10000 });
        const fixedLine = await page.locator(".editor-group-container .monaco-editor .view-line")
          .filter({ hasText: "A misquote:" }).first().innerText();
        const expectedLine = env("EXPECT_FIXED_LINE",
          'A misquote: the flow "fell to 38 per cent of its long-run average" at Ostmere [@osei2022].');
        console.log("quick fix applied; the line reads:", fixedLine.replace(/\u00a0/g, " "));
        if (fixedLine.replace(/\u00a0/g, " ").trim() !== expectedLine) failures.push(`the fixed line is not ${expectedLine}`);
        await page.keyboard.press("Control+Shift+M");
        const gone = await page.waitForFunction(
          () => ![...document.querySelectorAll(".markers-panel .monaco-list-row")].some((r) => r.textContent.includes("quote-inexact")),
          null, { timeout: 15000 },
        ).then(() => true, () => false);
        if (gone) console.log("quote-inexact is no longer in the Problems panel");
        else failures.push("quote-inexact is still in the Problems panel after the quick fix");
      } catch (error) {
        failures.push(`no quick fix "${fixTitle}" applied on the misquote: ${error.message.split("\n")[0]}`);
      }

      // ibid: Restart server: a new server republishes the diagnostics (run.sh checks the log).
      await page.keyboard.press("Control+Shift+P");
      await page.waitForSelector(".quick-input-widget input", { timeout: 10000 });
      await page.keyboard.type("ibid: Restart server");
      const command = page.locator(".quick-input-list .monaco-list-row").filter({ hasText: "Restart server" }).first();
      try {
        await command.waitFor({ timeout: 10000 });
        await page.keyboard.press("Enter");
        // The old server's diagnostics are cleared when it stops; wait for the new one's.
        await page.waitForTimeout(3000);
        await page.locator(".markers-panel .monaco-list-row").filter({ hasText: expectProblem }).first()
          .waitFor({ timeout: 30000 });
        const after = await page.locator(".markers-panel .monaco-list-row").allInnerTexts();
        console.log(`after the restart: ${after.filter((t) => t.includes("ibid")).length} ibid rows in the Problems panel`);
      } catch (error) {
        failures.push(`no "${expectProblem}" diagnostic after ibid: Restart server: ${error.message.split("\n")[0]}`);
      }
    }
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
