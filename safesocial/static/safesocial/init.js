// Marks the page as able to run GOV.UK Frontend's scripts, then starts its components.
// Kept in a file, not inline, so the Content Security Policy can forbid inline script.
import { initAll } from "../vendor/govuk/govuk-frontend.min.js";

document.body.classList.add("govuk-frontend-supported");
initAll();
